package dev.keyline.iam.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.decision.Verdict;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import dev.keyline.iam.testing.Redis;
import dev.keyline.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attacker who can write to Redis: forged or replaced L2 entries must be
 * misses, never decisions. Real crypto service, real Redis, real HTTP.
 */
class ForgedCacheEntryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TTL = Duration.ofMinutes(5);
    private static final String DENIED = Http.authorizeBody("User", "dave", "write", "Document", "roadmap");

    @TempDir
    Path tmp;

    /** The forged entry of the issue: the old plaintext format, an allow for the key's own policy version. */
    private static byte[] forgedAllow(String policyVersion, long now) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "plaintext");
        ObjectNode e = n.putObject("evaluation");
        e.put("verdict", "allowed");
        e.putArray("policies").add("admins-everything");
        e.putArray("errors");
        e.put("policy_version", policyVersion);
        n.put("cached_at", now);
        n.put("expires_at", now + 600_000);
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The new format with a MAC made under a key the attacker chose. */
    private static byte[] forgedV2Allow(CacheKey key, long now) {
        PlaintextTier attacker = new PlaintextTier(new InMemoryCacheStorage(10, java.time.InstantSource.system()),
                CacheKeys.random(new SecureRandom()).entryMac(), TTL, () -> java.time.Instant.ofEpochMilli(now), new IamMetrics(new SimpleMeterRegistry()));
        return attacker.entry(key, new Evaluation(new Verdict.Allowed(List.of("admins-everything")), List.of(), key.policyVersion()));
    }

    private void assertOverwriteIsAMiss(CryptoFallback fallback, boolean v2) {
        try (IamFixture f = IamFixture.start(tmp.resolve(fallback + "-" + v2), "forged-" + fallback, b -> b.cryptoFallback(fallback))) {
            JsonNode first = f.http.post("/v1/authorize", DENIED).body();
            assertThat(first.get("allowed").asBoolean()).isFalse();
            List<String> keys = f.redis.keys();
            assertThat(keys).as("one encrypted L2 entry").hasSize(1);
            String stored = new String(f.redis.commands().get(keys.get(0)), StandardCharsets.UTF_8);
            assertThat(stored).contains("\"ciphertext\"");
            String version = first.get("policy_version").asText();
            long now = System.currentTimeMillis();
            byte[] forged;
            if (v2) {
                CacheKey real = new CacheKey(keys.get(0).substring(f.redis.prefix().length()), "User", "dave", "Document", "roadmap", "write", version);
                forged = forgedV2Allow(real, now);
            } else {
                forged = forgedAllow(version, now);
            }

            f.redis.commands().set(keys.get(0), forged);
            f.iam.authorizer().cache().clearL1();
            JsonNode again = f.http.post("/v1/authorize", DENIED).body();

            assertThat(again.get("allowed").asBoolean()).as("the forged allow is not served").isFalse();
            assertThat(again.get("cached").asBoolean()).as("the forged entry is a miss").isFalse();
            assertThat(f.http.post("/v1/decisions/verify", again).body().get("valid").asBoolean()).isTrue();
        }
    }

    @Test
    void authorize_encryptedEntryOverwrittenWithForgedPlaintextAllow_isAMissAndTheRealDenyUnderTheDefault() {
        assertOverwriteIsAMiss(CryptoFallback.SKIP, false);
    }

    @Test
    void authorize_encryptedEntryOverwrittenWithForgedPlaintextAllow_isAMissEvenWithThePlaintextFallback() {
        assertOverwriteIsAMiss(CryptoFallback.PLAINTEXT, false);
    }

    @Test
    void authorize_encryptedEntryOverwrittenWithAV2EntryUnderAnotherMacKey_isAMiss() {
        assertOverwriteIsAMiss(CryptoFallback.PLAINTEXT, true);
    }

    @Test
    void configDefault_cryptoFallback_isSkip() {
        assertThat(dev.keyline.iam.server.IamServerConfig.defaults(tmp).build().cryptoFallback()).isEqualTo(CryptoFallback.SKIP);
    }

    @Test
    void get_duringAnOutage_acceptsOnlyPlaintextEntriesWithTheServicesMac() {
        MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
        IamMetrics metrics = new IamMetrics(new SimpleMeterRegistry());
        CacheKeys keys = CacheKeys.random(new SecureRandom());
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(tmp.resolve("crypto")); Redis redis = new Redis("forged-outage");
                RedisCacheStorage storage = RedisCacheStorage.connect(Redis.URL, redis.prefix(), Duration.ofSeconds(2));
                CryptoClient client = IamFixture.cryptoClient(crypto)) {
            crypto.stop();
            // A fresh encryptor holds no data key: with the service gone, every encrypt is unavailable.
            EnvelopeEncryptor encryptor = EnvelopeEncryptor.builder(client, KeyId.parse("iam/decision-cache")).context("keyline-iam-decision-cache")
                    .meterRegistry(new SimpleMeterRegistry()).build();
            EncryptedDecisionCache cache = new EncryptedDecisionCache(new PlaintextTier(storage, keys.entryMac(), TTL, clock, metrics), encryptor,
                    CryptoFallback.PLAINTEXT, TTL, clock, metrics);
            AuthorizationRequest request = AuthorizationRequest.of(RequestEntity.of("User", "dave"), "write", RequestEntity.of("Document", "roadmap"));
            Evaluation deny = new Evaluation(new Verdict.NotPermitted(), List.of(), "00000000000000dd");
            CacheKey key = keys.keyFor(request, deny.policyVersion());
            CacheKey other = keys.keyFor(AuthorizationRequest.of(RequestEntity.of("User", "eve"), "write", RequestEntity.of("Document", "roadmap")),
                    deny.policyVersion());

            cache.put(key, deny);
            String stored = new String(redis.commands().get(redis.prefix() + key.digest()), StandardCharsets.UTF_8);
            assertThat(stored).contains("\"format\":\"plaintext-v2\"").contains("\"mac\"");
            assertThat(cache.get(key)).as("our own entry during the outage").contains(deny);

            // Wrong MAC: the attacker's own key.
            redis.commands().set(redis.prefix() + key.digest(), forgedV2Allow(key, clock.millis()));
            assertThat(cache.get(key)).as("a plaintext entry with a wrong MAC").isEmpty();
            // Our MAC, but the verdict edited.
            redis.commands().set(redis.prefix() + key.digest(), stored.replace("not_permitted", "allowed").getBytes(StandardCharsets.UTF_8));
            assertThat(cache.get(key)).as("an edited entry").isEmpty();
            // Our MAC, but the expiry extended.
            ObjectNode extended = (ObjectNode) JSON.readTree(stored);
            extended.put("expires_at", extended.get("expires_at").asLong() + 3_600_000);
            redis.commands().set(redis.prefix() + key.digest(), extended.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(cache.get(key)).as("an extended entry").isEmpty();
            // Our entry, copied under another request's key.
            redis.commands().set(redis.prefix() + other.digest(), stored.getBytes(StandardCharsets.UTF_8));
            assertThat(cache.get(other)).as("an entry copied to another key").isEmpty();
            // The old, unauthenticated format.
            redis.commands().set(redis.prefix() + key.digest(), forgedAllow(deny.policyVersion(), clock.millis()));
            assertThat(cache.get(key)).as("the unauthenticated format").isEmpty();
            assertThat(Base64.getDecoder().decode(JSON.readTree(stored).get("mac").asText())).hasSize(32);
            storage.deleteAll();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void entryMac_isDerivedFromTheCacheSecret_sameSecretSameKey() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        CacheKeys a = CacheKeys.of(dev.keyline.crypto.core.SecretBytes.copyOf(secret));
        CacheKeys b = CacheKeys.of(dev.keyline.crypto.core.SecretBytes.copyOf(secret));
        CacheKeys c = CacheKeys.random(new SecureRandom());
        byte[] data = "entry".getBytes(StandardCharsets.UTF_8);

        assertThat(a.entryMac().compute(data)).isEqualTo(b.entryMac().compute(data));
        assertThat(a.entryMac().compute(data)).isNotEqualTo(c.entryMac().compute(data));
    }
}
