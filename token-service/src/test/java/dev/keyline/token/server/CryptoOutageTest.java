package dev.keyline.token.server;

import static dev.keyline.token.TokenServerFixture.SECRET;
import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.Http;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.TokenServerFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crypto service goes away and comes back: tokens keep being issued, signed by the fallback key
 * that the JWKS already lists, /health says DEGRADED; after the restart (same data directory and
 * port) the crypto-service key signs again.
 */
class CryptoOutageTest {
    @TempDir
    Path dir;

    @Test
    void cryptoServiceStopped_tokensSignedByPublishedFallbackAndHealthDegraded_thenBackAfterRestart() throws Exception {
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
                TokenServer server = TokenServerFixture.start(crypto, dir, b -> { })) {
            Http http = new Http(server.baseUrl());
            String jwks = http.get("/.well-known/jwks.json").body();
            assertThat(kid(clientCredentials(http, "svc", Map.of()))).isEqualTo("token/jwt-signing/1");
            String session = json(http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\"}", "Authorization",
                    Http.basic("login", SECRET))).path("refresh_token").asText();

            crypto.stop();
            for (int i = 0; i < 8; i++) {
                HttpResponse<String> r = clientCredentials(http, "svc", Map.of());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                String token = json(r).path("access_token").asText();
                assertThat(kid(r)).startsWith("keyline-fallback/jwt-");
                // Verifiable with the JWKS a verifier fetched before the outage.
                assertThat(NimbusVerifier.verifies(token, jwks)).isTrue();
            }
            HttpResponse<String> health = http.get("/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(json(health).path("status").asText()).as(health.body()).isEqualTo("DEGRADED");
            assertThat(json(health).path("checks").path("crypto_service").path("detail").asText())
                    .isEqualTo("the crypto service is unreachable; tokens are signed with the fallback key");
            // Unauthenticated: the client's own detail (endpoint, the service's error text) is not shown.
            String endpoint = crypto.endpoint();
            assertThat(health.body()).doesNotContain(endpoint).doesNotContain(endpoint.substring(endpoint.lastIndexOf(':') + 1))
                    .doesNotContain("UNAVAILABLE");
            assertThat(server.meters().scrape()).contains("keyline_token_access_tokens_total{signer=\"fallback\"}");
            // Refresh works on the cached envelope data key.
            HttpResponse<String> refreshed = http.postForm("/oauth2/token",
                    Http.form(Map.of("grant_type", "refresh_token", "refresh_token", session)), "Authorization", Http.basic("app", SECRET));
            assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);

            crypto.restart();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(40));
            String kid = "";
            while (Instant.now().isBefore(deadline)) {
                kid = kid(clientCredentials(http, "svc", Map.of()));
                if (kid.equals("token/jwt-signing/1")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(kid).isEqualTo("token/jwt-signing/1");
            assertThat(json(http.get("/health")).path("status").asText()).isEqualTo("UP");
        }
    }

    private static String kid(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return SignedJWT.parse(json(r).path("access_token").asText()).getHeader().getKeyID();
    }

    @Test
    void signingKeyDisabled_tokensRefusedWith503_notSignedByTheFallback() throws Exception {
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
                TokenServer server = TokenServerFixture.start(crypto, dir, b -> b.signingKeyId("token/jwt-disabled"))) {
            Http http = new Http(server.baseUrl());
            assertThat(kid(clientCredentials(http, "svc", Map.of()))).isEqualTo("token/jwt-disabled/1");
            crypto.server().keys().setState(dev.keyline.crypto.core.keys.KeyId.of("token", "jwt-disabled"),
                    dev.keyline.crypto.core.keys.KeyState.DISABLED);
            HttpResponse<String> r = clientCredentials(http, "svc", Map.of());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(json(r).path("error").asText()).isEqualTo("temporarily_unavailable");
        }
    }

    @Test
    void cryptoServiceDownAtStart_startsOnTheFallbackAndCreatesTheKeyOnceTheServiceAnswers() throws Exception {
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"))) {
            TokenServerConfig config = TokenServerFixture.config(crypto, dir).cacheEncryption(false).build();
            crypto.stop();
            try (TokenServer server = TokenServer.start(config)) {
                Http http = new Http(server.baseUrl());
                String before = kid(clientCredentials(http, "svc", Map.of()));
                assertThat(before).startsWith("keyline-fallback/jwt-");
                assertThat(json(http.get("/health")).path("status").asText()).isEqualTo("DEGRADED");
                crypto.restart();
                Instant deadline = Instant.now().plus(Duration.ofSeconds(40));
                String kid = before;
                while (Instant.now().isBefore(deadline) && !kid.equals("token/jwt-signing/1")) {
                    Thread.sleep(200);
                    kid = kid(clientCredentials(http, "svc", Map.of()));
                }
                assertThat(kid).isEqualTo("token/jwt-signing/1");
                assertThat(http.get("/.well-known/jwks.json").body()).contains("token/jwt-signing/1").contains(before);
            }
        }
    }
}
