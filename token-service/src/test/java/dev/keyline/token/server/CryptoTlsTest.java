package dev.keyline.token.server;

import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.testsupport.CryptoServiceFixture;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.testing.TestPki;
import dev.keyline.token.Http;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.TokenServerFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token service reaching a real crypto service over mutual TLS, configured only through its
 * {@code KEYLINE_TOKEN_CRYPTO_TLS_*} variables, with certificates from {@link TestPki}: with the
 * CA and a client certificate tokens are signed by the crypto service; without the client
 * certificate, or trusting another CA, the handshake fails and no token is signed.
 */
class CryptoTlsTest {
    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static String serviceToken;

    @BeforeAll
    static void start() {
        TestPki pki = TestPki.create(dir, "ca", "keyline-token-test-ca");
        pki.issue("server", "IP:127.0.0.1,DNS:crypto.keyline.test");
        pki.issue("token-service", "");
        TestPki.create(dir, "other", "some-other-ca");
        crypto = CryptoServiceFixture.builder(dir.resolve("crypto")).withoutHttp()
                .settings(b -> b.tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"))).start();
        serviceToken = TokenServerFixture.serviceToken(crypto);
    }

    @AfterAll
    static void stop() {
        if (crypto != null) {
            crypto.close();
        }
    }

    private static Map<String, String> env(Map<String, String> tls) {
        Map<String, String> env = new HashMap<>(tls);
        env.put("KEYLINE_DATA_DIR", dir.resolve("token").toString());
        env.put("KEYLINE_TOKEN_HTTP_PORT", "0");
        env.put("KEYLINE_TOKEN_MANAGEMENT_PORT", "0");
        env.put("KEYLINE_TOKEN_CRYPTO_ENDPOINT", "127.0.0.1:" + crypto.grpcPort());
        env.put("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", serviceToken);
        env.put("KEYLINE_TOKEN_CRYPTO_TIMEOUT", "PT2S");
        return env;
    }

    private static TokenServer start(Map<String, String> tls) {
        TokenServerConfig config = TokenServerConfig.fromEnvironment(env(tls)).toBuilder().clients(TokenServerFixture.clients()).build();
        return TokenServer.start(config);
    }

    @Test
    void mutualTls_fromTheEnvironment_signsTokensThroughTheCryptoService() throws Exception {
        try (TokenServer server = start(Map.of("KEYLINE_TOKEN_CRYPTO_TLS_CA", dir.resolve("ca.pem").toString(),
                "KEYLINE_TOKEN_CRYPTO_TLS_CERT", dir.resolve("token-service.pem").toString(),
                "KEYLINE_TOKEN_CRYPTO_TLS_KEY", dir.resolve("token-service.key").toString(),
                "KEYLINE_TOKEN_CRYPTO_TLS_SERVER_NAME", "crypto.keyline.test"))) {
            assertThat(server.config().crypto().orElseThrow().tlsEnabled()).isTrue();
            Http http = new Http(server.baseUrl());
            HttpResponse<String> r = clientCredentials(http, "svc", Map.of());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            String token = json(r).path("access_token").asText();
            assertThat(SignedJWT.parse(token).getHeader().getKeyID()).isEqualTo("token/jwt-signing/1");
            assertThat(NimbusVerifier.verifies(token, http.get("/.well-known/jwks.json").body())).isTrue();
            assertThat(json(http.get("/health")).path("status").asText()).isEqualTo("UP");
        }
    }

    @Test
    void withoutTheClientCertificate_orTrustingAnotherCa_noTokenIsSigned() {
        for (Map<String, String> tls : java.util.List.of(
                Map.of("KEYLINE_TOKEN_CRYPTO_TLS_CA", dir.resolve("ca.pem").toString()),
                Map.of("KEYLINE_TOKEN_CRYPTO_TLS_CA", dir.resolve("other.pem").toString(),
                        "KEYLINE_TOKEN_CRYPTO_TLS_CERT", dir.resolve("token-service.pem").toString(),
                        "KEYLINE_TOKEN_CRYPTO_TLS_KEY", dir.resolve("token-service.key").toString()),
                Map.<String, String>of())) {
            try (TokenServer server = start(tls)) {
                Http http = new Http(server.baseUrl());
                HttpResponse<String> r = clientCredentials(http, "svc", Map.of());
                assertThat(r.statusCode()).as(tls + ": " + r.body()).isEqualTo(503);
                assertThat(json(r).path("error").asText()).isEqualTo("temporarily_unavailable");
                assertThat(json(http.get("/health")).path("status").asText()).as(tls.toString()).isNotEqualTo("UP");
            }
        }
    }
}
