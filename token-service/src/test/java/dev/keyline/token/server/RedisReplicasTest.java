package dev.keyline.token.server;

import static dev.keyline.token.TokenServerFixture.SECRET;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.Http;
import dev.keyline.token.RedisFixture;
import dev.keyline.token.TokenServerFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two token-service replicas on one Redis and one crypto service: a family started on one is
 * refreshed on the other (shared refresh-token key, envelope-encrypted records), and reuse
 * detected on either revokes it for both.
 */
class RedisReplicasTest {
    @TempDir
    Path dir;

    @Test
    void twoReplicas_shareFamiliesThroughRedis_refreshAnywhereAndReuseRevokesEverywhere() {
        try (RedisFixture redis = new RedisFixture(); CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"))) {
            Path fallback = TokenServerFixture.fallbackKey(dir, "shared-fallback.pem");
            try (TokenServer a = TokenServerFixture.start(crypto, dir, b -> b.storage(TokenServerConfig.StorageKind.REDIS)
                    .redisUrl(RedisFixture.URL).redisPrefix(redis.prefix).fallbackKeyFile(fallback).issuer("https://tokens.test"));
                    TokenServer b = TokenServerFixture.start(crypto, dir, c -> c.storage(TokenServerConfig.StorageKind.REDIS)
                            .redisUrl(RedisFixture.URL).redisPrefix(redis.prefix).fallbackKeyFile(fallback).issuer("https://tokens.test"))) {
                Http ha = new Http(a.baseUrl());
                Http hb = new Http(b.baseUrl());
                String app = Http.basic("app", SECRET);
                String rt1 = json(ha.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\"}", "Authorization",
                        Http.basic("login", SECRET))).path("refresh_token").asText();
                HttpResponse<String> onB = hb.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt1)),
                        "Authorization", app);
                assertThat(onB.statusCode()).as(onB.body()).isEqualTo(200);
                String rt2 = json(onB).path("refresh_token").asText();
                HttpResponse<String> onA = ha.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt2)),
                        "Authorization", app);
                assertThat(onA.statusCode()).as(onA.body()).isEqualTo(200);
                // rt1 replayed on A: the family is revoked, so B refuses the newest token too.
                assertThat(ha.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt1)), "Authorization", app)
                        .statusCode()).isEqualTo(400);
                String rt3 = json(onA).path("refresh_token").asText();
                assertThat(json(hb.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt3)),
                        "Authorization", app)).path("error").asText()).isEqualTo("invalid_grant");
                // Access tokens of either replica introspect on the other (same issuer, same keys).
                String access = json(TokenServerFixture.clientCredentials(ha, "svc", Map.of())).path("access_token").asText();
                assertThat(json(hb.postForm("/oauth2/introspect", Http.form(Map.of("token", access)), "Authorization", Http.basic("svc", SECRET)))
                        .path("active").asBoolean()).isTrue();
                assertThat(json(hb.get("/health")).path("checks").path("storage").path("status").asText()).isEqualTo("UP");
            }
            assertThat(redis.keys()).isNotEmpty();
        }
    }
}
