package dev.keyline.platform.bench;

import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.SecretHash;
import dev.keyline.token.jwt.LocalSigner;
import dev.keyline.token.server.TokenServerConfig;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** A token server configuration for the load generator's tests and mains: one client_credentials client, a crypto signer. */
final class TokenServers {
    static final String CLIENT = "svc";
    static final String SECRET = "kls_test-secret-for-the-load-generator-0000000000";

    private TokenServers() {
    }

    /** Crypto signer through {@code crypto} (as the token service's caller), a fallback key, client {@link #CLIENT}. */
    static TokenServerConfig.Builder config(CryptoServiceFixture crypto, Path dir) {
        Path fallback = dir.resolve("fallback-" + System.nanoTime() + ".pem");
        LocalSigner.writeNewKeyFile(fallback, KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        return TokenServerConfig.builder()
                .httpPort(0)
                .managementPort(0)
                .clients(List.of(new Client(CLIENT, SecretHash.of(SECRET), Set.of(Client.CLIENT_CREDENTIALS), List.of("read"),
                        List.of("api://svc"), Duration.ofMinutes(10), Duration.ofDays(1))))
                .crypto(clientConfig(crypto).build())
                .fallbackKeyFile(fallback);
    }

    static CryptoClientConfig.Builder clientConfig(CryptoServiceFixture crypto) {
        return CryptoClientConfig.builder().clientName("token-service").endpoint(crypto.endpoint())
                .authToken(crypto.callerToken("token-service", "token:sign,verify,read,encrypt,decrypt,data-key,manage"))
                .callerHasFallback(true);
    }
}
