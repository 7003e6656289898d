package dev.keyline.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.token.clients.Client;
import dev.keyline.token.jwt.LocalSigner;
import dev.keyline.token.server.TokenServer;
import dev.keyline.token.server.TokenServerConfig;
import dev.keyline.testsupport.CryptoServiceFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A token server on a loopback port 0 with a fixed set of test clients, and the token service's
 * side of the shared {@link CryptoServiceFixture}: its caller, grants and client configuration.
 */
public final class TokenServerFixture {
    public static final String SECRET = "kls_test-secret-for-every-test-client-000000000";
    /** What the token service's caller may do on the crypto service. */
    public static final String GRANTS = "token:sign,verify,read,encrypt,decrypt,data-key,manage";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenServerFixture() {
    }

    /** Clients: svc (client_credentials), login (sessions:issue for app), app (refresh_token), idle (no grant). */
    public static List<Client> clients() {
        Duration access = Duration.ofMinutes(10);
        Duration refresh = Duration.ofDays(1);
        dev.keyline.token.clients.SecretHash hash = dev.keyline.token.clients.SecretHash.of(SECRET);
        return List.of(
                new Client("svc", hash, Set.of(Client.CLIENT_CREDENTIALS), List.of("read", "write", "admin"), List.of("api://svc"), access, refresh),
                new Client("login", hash, Set.of(Client.SESSIONS_ISSUE, Client.CLIENT_CREDENTIALS), List.of("login"), List.of("api://login"),
                        access, refresh, Set.of("app")),
                new Client("app", hash, Set.of(Client.REFRESH_TOKEN), List.of("openid", "profile", "orders"), List.of("api://orders"), access,
                        refresh),
                new Client("idle", hash, Set.of(), List.of(), List.of(), access, refresh));
    }

    /** A fresh fallback key file in {@code dir}. */
    public static Path fallbackKey(Path dir, String name) {
        Path f = dir.resolve(name);
        LocalSigner.writeNewKeyFile(f, KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        return f;
    }

    /** The token of the {@code token-service} caller (grants {@link #GRANTS}) on {@code crypto}. */
    public static String serviceToken(CryptoServiceFixture crypto) {
        return crypto.callerToken("token-service", GRANTS);
    }

    /**
     * A client configuration for {@code crypto} as the token service's caller: fast retries and a
     * breaker that opens after a few failures and half-opens after {@code openWait}.
     */
    public static CryptoClientConfig.Builder clientConfig(CryptoServiceFixture crypto, Duration openWait) {
        return CryptoClientConfig.builder()
                .clientName("token-service-test")
                .endpoint(crypto.endpoint())
                .authToken(serviceToken(crypto))
                .timeout(Duration.ofSeconds(2))
                .retry(2, Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.5)
                .circuitBreaker(50f, 4, 4, openWait, 1);
    }

    public static CryptoClient client(CryptoClientConfig config) {
        return CryptoClientFactory.builder(config).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** A crypto client of {@code crypto} (circuit open wait 30 s) and a new AES-256-GCM key {@code token/<name>} made through it. */
    public static CryptoClient clientWithAesKey(CryptoServiceFixture crypto, String name) {
        CryptoClient client = client(clientConfig(crypto, Duration.ofSeconds(30)).build());
        client.generateKey(dev.keyline.crypto.core.keys.KeyId.of("token", name), dev.keyline.crypto.core.keys.KeyAlgorithm.AES_256_GCM,
                Duration.ZERO);
        return client;
    }

    /** Crypto signer, in-memory storage with envelope encryption, a fallback key, the test clients. */
    public static TokenServerConfig.Builder config(CryptoServiceFixture crypto, Path dir) {
        return TokenServerConfig.builder()
                .httpPort(0)
                .managementPort(0)
                .clients(clients())
                .crypto(clientConfig(crypto, Duration.ofMillis(500)).callerHasFallback(true).build())
                .fallbackKeyFile(fallbackKey(dir, "fallback-" + System.nanoTime() + ".pem"));
    }

    public static TokenServer start(CryptoServiceFixture crypto, Path dir, Consumer<TokenServerConfig.Builder> custom) {
        TokenServerConfig.Builder b = config(crypto, dir);
        custom.accept(b);
        return TokenServer.start(b.build());
    }

    public static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON (" + r.statusCode() + "): " + r.body(), e);
        }
    }

    /** client_credentials with HTTP Basic for {@code clientId}. */
    public static HttpResponse<String> clientCredentials(Http http, String clientId, Map<String, String> extra) {
        Map<String, String> form = new java.util.LinkedHashMap<>(extra);
        form.put("grant_type", "client_credentials");
        return http.postForm("/oauth2/token", Http.form(form), "Authorization", Http.basic(clientId, SECRET));
    }
}
