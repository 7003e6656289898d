package dev.keyline.token.server;

import static dev.keyline.token.TokenServerFixture.SECRET;
import static dev.keyline.token.TokenServerFixture.json;
import static dev.keyline.token.server.FeatureFlagPropertyTest.putFlag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.Http;
import dev.keyline.token.RedisFixture;
import dev.keyline.token.TokenServerFixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T11, {@code cache_encryption} as a run-time flag of the token service, through the running
 * service over HTTP: with memory storage it switches between {@code on} and {@code off} and every
 * family record stays readable whichever form it was written in (refresh, rotation and reuse
 * detection keep working across flips); with Redis only {@code on} is offered, and a start
 * without it is refused.
 */
class CacheEncryptionFlagTest {
    static final String ADMIN = "admin-token-for-the-cache-flag-test";
    private static final Pattern DATA_KEY_USES = Pattern.compile(
            "keyline_client_cache_(?:hits|misses)_total\\{[^}]*cache=\"data_key\"[^}]*} ([0-9.E]+)");

    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
    }

    @AfterAll
    static void stop() {
        crypto.close();
    }

    private static SecretBytes admin() {
        return SecretBytes.copyOf(ADMIN.getBytes(StandardCharsets.UTF_8));
    }

    private static String session(Http http) {
        HttpResponse<String> r = http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\"}", "Authorization",
                Http.basic("login", SECRET));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r).path("refresh_token").asText();
    }

    private static HttpResponse<String> refresh(Http http, String refreshToken) {
        return http.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", refreshToken)),
                "Authorization", Http.basic("app", SECRET));
    }

    private static String refreshed(Http http, String refreshToken) {
        HttpResponse<String> r = refresh(http, refreshToken);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r).path("refresh_token").asText();
    }

    /** How many values were encrypted so far: each takes one data key from the envelope encryptor's cache (hit or miss). */
    private static double encryptions(Http management) {
        Matcher m = DATA_KEY_USES.matcher(management.get("/metrics").body());
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private static void flip(Http management, String from, String to) {
        HttpResponse<String> r = putFlag(management, "cache_encryption", to, "Bearer " + ADMIN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).path("from").asText()).isEqualTo(from);
        assertThat(json(r).path("to").asText()).isEqualTo(to);
    }

    private static HttpResponse<String> flags(Http management) {
        return management.send(HttpRequest.newBuilder(URI.create(management.base() + "/admin/flags"))
                .header("Authorization", "Bearer " + ADMIN).GET().build());
    }

    @Test
    void putFlag_memoryStorageFlippedBothWays_everyRecordStaysReadableAndOffWritesNothingEncrypted() {
        try (TokenServer server = TokenServerFixture.start(crypto, dir, b -> b.adminToken(admin()))) {
            Http http = new Http(server.baseUrl());
            Http management = new Http(server.managementUrl());
            assertThat(json(flags(management)).path("offered").path("cache_encryption").toString()).isEqualTo("[\"on\",\"off\"]");

            double beforeA = encryptions(management);
            String a1 = session(http);                               // written encrypted
            assertThat(encryptions(management)).as("on: the family record is encrypted").isGreaterThan(beforeA);

            flip(management, "on", "off");
            assertThat(json(http.get("/health")).path("checks").path("storage").path("encryption").asText()).isEqualTo("off");
            double whileOff = encryptions(management);
            String b1 = session(http);                               // written in plaintext
            String a2 = refreshed(http, a1);                         // an encrypted record read while off, rewritten in plaintext
            assertThat(encryptions(management)).as("off: nothing is encrypted").isEqualTo(whileOff);

            flip(management, "off", "on");
            double whileOn = encryptions(management);
            String b2 = refreshed(http, b1);                         // a plaintext record read while on, rewritten encrypted
            String a3 = refreshed(http, a2);
            assertThat(encryptions(management)).as("on again: rewrites are encrypted").isGreaterThan(whileOn);

            // Reuse detection reads the older records too: replaying a1 revokes its family, whatever form it had.
            assertThat(json(refresh(http, a1)).path("error").asText()).isEqualTo("invalid_grant");
            assertThat(json(refresh(http, a3)).path("error").asText()).isEqualTo("invalid_grant");

            flip(management, "on", "off");
            String b3 = refreshed(http, b2);                         // an encrypted record read while off
            flip(management, "off", "on");
            refreshed(http, b3);
            assertThat(server.flags().get("cache_encryption")).isEqualTo("on");
        }
    }

    @Test
    void putFlag_redisStorageOffered_onlyOnAndOffIsRefused() {
        try (RedisFixture redis = new RedisFixture();
                TokenServer server = TokenServerFixture.start(crypto, dir, b -> b.adminToken(admin()).storage(TokenServerConfig.StorageKind.REDIS)
                        .redisUrl(RedisFixture.URL).redisPrefix(redis.prefix + "token-cache-flag:"))) {
            Http http = new Http(server.baseUrl());
            Http management = new Http(server.managementUrl());
            assertThat(json(flags(management)).path("offered").path("cache_encryption").toString()).isEqualTo("[\"on\"]");
            String rt = session(http);

            HttpResponse<String> off = putFlag(management, "cache_encryption", "off", "Bearer " + ADMIN);

            assertThat(off.statusCode()).as(off.body()).isEqualTo(409);
            assertThat(json(off).path("error").asText()).isEqualTo("value_not_offered");
            assertThat(server.flags().get("cache_encryption")).isEqualTo("on");
            double before = encryptions(management);
            refreshed(http, rt);
            assertThat(encryptions(management)).as("still encrypted").isGreaterThan(before);
            // Setting it to what it is stays allowed (and audited).
            flip(management, "on", "on");
        }
    }

    @Test
    void start_redisStorageWithEncryptionOff_isRefused() {
        TokenServerConfig config = TokenServerFixture.config(crypto, dir).storage(TokenServerConfig.StorageKind.REDIS).redisUrl(RedisFixture.URL)
                .redisPrefix("keyline-test:token-cache-flag-refused:").cacheEncryption(false).build();
        try (TokenServer unexpected = TokenServer.start(config)) {
            throw new AssertionError("started Redis storage without encryption");
        } catch (ConfigException e) {
            assertThat(e.problems()).singleElement().asString().startsWith("cacheEncryption: must be on when storage is REDIS");
        }
    }
}
