package dev.keyline.iam.cache;

import dev.keyline.iam.testing.IamFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.iam.testing.Gens;
import dev.keyline.iam.testing.Redis;
import dev.keyline.testing.Examples;
import dev.keyline.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Properties I1 (encryption round trip) and I2 (AAD context binding) of the encrypted L2, with a
 * real crypto service, real envelope encryption and the real Redis.
 */
class EncryptedDecisionCachePropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TTL = Duration.ofMinutes(5);

    @TempDir
    static Path tmp;
    static CryptoServiceFixture crypto;
    static CryptoClient client;
    static Redis redis;
    static RedisCacheStorage storage;
    static EnvelopeEncryptor encryptor;
    static IamMetrics metrics;
    static MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    static CacheKeys keys = CacheKeys.random(new SecureRandom());

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(tmp.resolve("crypto"));
        client = IamFixture.cryptoClient(crypto);
        client.generateKey(KeyId.of("iam", "decision-cache"), KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        encryptor = EnvelopeEncryptor.builder(client, KeyId.parse("iam/decision-cache")).context("keyline-iam-decision-cache")
                .meterRegistry(new SimpleMeterRegistry()).build();
        redis = new Redis("encrypted-cache");
        storage = RedisCacheStorage.connect(Redis.URL, redis.prefix(), Duration.ofSeconds(2));
        metrics = new IamMetrics(new SimpleMeterRegistry());
    }

    @AfterAll
    static void stop() {
        storage.deleteAll();
        storage.close();
        redis.close();
        client.close();
        crypto.close();
    }

    private static EncryptedDecisionCache encrypted(CryptoFallback fallback) {
        return new EncryptedDecisionCache(new PlaintextTier(storage, keys.entryMac(), TTL, clock, metrics), encryptor, fallback, TTL, clock, metrics);
    }

    @Test
    void get_afterPut_returnsAnEquivalentEvaluation_I1() {
        DecisionCache cache = DecisionCache.builder(metrics).l1(0, Duration.ofSeconds(1)).l2(storage, TTL).encrypted(encryptor, CryptoFallback.SKIP)
                .clock(clock).build();
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(Gens.requests(), Gens.evaluations()).checkAssert((request, evaluation) -> {
            examples.ran();
            CacheKey key = keys.keyFor(request, evaluation.policyVersion());

            cache.put(key, evaluation);
            Optional<DecisionCache.Hit> hit = cache.get(key);

            assertThat(hit).isPresent();
            assertThat(hit.get().level()).isEqualTo(DecisionCache.Level.L2);
            assertThat(hit.get().evaluation()).isEqualTo(evaluation);
        });
        examples.assertAtLeast(100);
    }

    @Test
    void storedEntry_isTheSeedShape_andNamesNoSubjectOrResource() throws Exception {
        AuthorizationRequest request = AuthorizationRequest.of(RequestEntity.of("User", "subject-7f3a"), "read",
                RequestEntity.of("Document", "resource-91c2"));
        Evaluation evaluation = new Evaluation(new dev.keyline.iam.decision.Verdict.Allowed(java.util.List.of("p")), java.util.List.of(),
                "0123456789abcdef");
        CacheKey key = keys.keyFor(request, evaluation.policyVersion());

        encrypted(CryptoFallback.SKIP).put(key, evaluation);

        String redisKey = redis.prefix() + key.digest();
        byte[] stored = redis.commands().get(redisKey);
        JsonNode n = JSON.readTree(stored);
        TreeSet<String> fields = new TreeSet<>();
        n.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("algorithm", "cached_at", "ciphertext", "expires_at", "iv", "key_id", "tag", "wrapped_key");
        assertThat(n.get("algorithm").asText()).isEqualTo("AES-256-GCM");
        assertThat(n.get("key_id").asText()).matches("iam/decision-cache/[0-9]+");
        assertThat(Base64.getDecoder().decode(n.get("iv").asText())).hasSize(12);
        assertThat(Base64.getDecoder().decode(n.get("tag").asText())).hasSize(16);
        assertThat(n.get("expires_at").asLong() - n.get("cached_at").asLong()).isEqualTo(TTL.toMillis());
        String everything = redisKey + new String(stored, StandardCharsets.UTF_8);
        assertThat(everything).doesNotContain("subject-7f3a").doesNotContain("resource-91c2").doesNotContain("allowed");
        assertThat(redis.commands().pttl(redisKey)).isBetween(1L, TTL.toMillis());
    }

    @Test
    void decrypt_underAnotherSubjectResourceActionOrVersion_isAMiss_I2() {
        EncryptedDecisionCache cache = encrypted(CryptoFallback.SKIP);
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(Gens.requests(), Gens.evaluations(), integers().between(0, 4), Gens.ids())
                .checkAssert((request, evaluation, field, other) -> {
                    examples.ran();
                    CacheKey key = keys.keyFor(request, evaluation.policyVersion());
                    EncryptedCacheEntry entry = ((EncryptedDecisionCache.Sealing.Sealed) cache.seal(key, evaluation)).entry();
                    CacheKey moved = mutate(key, field, other);

                    assertThat(cache.decrypt(key, entry)).contains(evaluation);
                    assertThat(cache.decrypt(moved, entry)).as("decrypted for %s", field).isEmpty();
                });
        examples.assertAtLeast(100);
    }

    /** {@code key} with one AAD field changed (0 subject id, 1 resource id, 2 action, 3 version, 4 subject type). */
    private static CacheKey mutate(CacheKey k, int field, String other) {
        String o = other.equals(k.subjectId()) || other.equals(k.resourceId()) || other.equals(k.action()) ? other + "x" : other;
        return switch (field) {
            case 0 -> new CacheKey(k.digest(), k.subjectType(), o, k.resourceType(), k.resourceId(), k.action(), k.policyVersion());
            case 1 -> new CacheKey(k.digest(), k.subjectType(), k.subjectId(), k.resourceType(), o, k.action(), k.policyVersion());
            case 2 -> new CacheKey(k.digest(), k.subjectType(), k.subjectId(), k.resourceType(), k.resourceId(), o, k.policyVersion());
            case 3 -> new CacheKey(k.digest(), k.subjectType(), k.subjectId(), k.resourceType(), k.resourceId(), k.action(),
                    k.policyVersion() + "0");
            default -> new CacheKey(k.digest(), k.subjectType().equals("Robot") ? "Droid" : "Robot", k.subjectId(), k.resourceType(),
                    k.resourceId(), k.action(), k.policyVersion());
        };
    }

    @Test
    void get_entryCopiedInRedisToAnotherRequestsKey_isAMissNotTheOtherDecision_I2() {
        EncryptedDecisionCache cache = encrypted(CryptoFallback.SKIP);
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(Gens.requests(), Gens.requests(), Gens.evaluations()).checkAssert((a, b, evaluation) -> {
            examples.ran();
            CacheKey ka = keys.keyFor(a, evaluation.policyVersion());
            CacheKey kb = keys.keyFor(b, evaluation.policyVersion());
            cache.put(ka, evaluation);

            // An attacker with write access to Redis copies a's entry (say, an allow) over b's key.
            redis.commands().set(redis.prefix() + kb.digest(), redis.commands().get(redis.prefix() + ka.digest()));

            assertThat(cache.get(ka)).contains(evaluation);
            if (!a.equals(b)) {
                assertThat(cache.get(kb)).isEmpty();
            }
        });
        examples.assertAtLeast(100);
    }

    @Test
    void get_anyStoredFieldChanged_isAMiss() throws Exception {
        EncryptedDecisionCache cache = encrypted(CryptoFallback.SKIP);
        AuthorizationRequest request = AuthorizationRequest.of(RequestEntity.of("User", "u"), "read", RequestEntity.of("Document", "d"));
        Evaluation evaluation = new Evaluation(new dev.keyline.iam.decision.Verdict.NotPermitted(), java.util.List.of(), "00000000000000aa");
        CacheKey key = keys.keyFor(request, evaluation.policyVersion());
        cache.put(key, evaluation);
        String redisKey = redis.prefix() + key.digest();
        ObjectNode original = (ObjectNode) JSON.readTree(redis.commands().get(redisKey));
        assertThat(cache.get(key)).contains(evaluation);

        Iterator<String> names = original.fieldNames();
        int checked = 0;
        while (names.hasNext()) {
            String field = names.next();
            ObjectNode changed = original.deepCopy();
            JsonNode v = original.get(field);
            if (v.isNumber()) {
                changed.put(field, v.asLong() + 60_000); // e.g. extend expires_at by a minute
            } else if (field.equals("key_id") || field.equals("algorithm")) {
                changed.put(field, v.asText() + "x");
            } else {
                byte[] b = Base64.getDecoder().decode(v.asText());
                b[b.length / 2] ^= 0x01;
                changed.put(field, Base64.getEncoder().encodeToString(b));
            }
            redis.commands().set(redisKey, JSON.writeValueAsBytes(changed));

            assertThat(cache.get(key)).as("entry with %s changed", field).isEmpty();
            checked++;
        }
        assertThat(checked).isEqualTo(8);
    }

    @Test
    void get_afterExpiresAt_isAMissEvenIfRedisStillHoldsIt() {
        EncryptedDecisionCache cache = encrypted(CryptoFallback.SKIP);
        AuthorizationRequest request = AuthorizationRequest.of(RequestEntity.of("User", "u2"), "read", RequestEntity.of("Document", "d2"));
        Evaluation evaluation = new Evaluation(new dev.keyline.iam.decision.Verdict.NotPermitted(), java.util.List.of(), "00000000000000bb");
        CacheKey key = keys.keyFor(request, evaluation.policyVersion());
        cache.put(key, evaluation);

        clock.advance(TTL.plusSeconds(1));
        try {
            assertThat(cache.get(key)).isEmpty();
        } finally {
            clock.advance(TTL.plusSeconds(1).negated());
        }
        assertThat(cache.get(key)).contains(evaluation);
    }

    @Test
    void get_authenticatedPlaintextEntry_isRefusedWhileTheCryptoServiceAnswers_underBothFallbacks() {
        AuthorizationRequest request = AuthorizationRequest.of(RequestEntity.of("User", "u3"), "read", RequestEntity.of("Document", "d3"));
        Evaluation evaluation = new Evaluation(new dev.keyline.iam.decision.Verdict.Allowed(java.util.List.of("p")), java.util.List.of(),
                "00000000000000cc");
        CacheKey key = keys.keyFor(request, evaluation.policyVersion());
        new PlaintextTier(storage, keys.entryMac(), TTL, clock, metrics).put(key, evaluation);

        assertThat(encrypted(CryptoFallback.SKIP).get(key)).isEmpty();
        // Written by this service (valid MAC), but the crypto service is up: only encrypted entries count.
        assertThat(encrypted(CryptoFallback.PLAINTEXT).get(key)).isEmpty();
        assertThat(new String(redis.commands().get(redis.prefix() + key.digest()), StandardCharsets.UTF_8)).doesNotContain("u3")
                .doesNotContain("d3");
    }

    @Test
    void cacheKey_differentRequests_neverShareADigest() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.requests(), Gens.requests(), Gens.versions()).checkAssert((a, b, v) -> {
            examples.ran();
            boolean sameKey = keys.keyFor(a, v).digest().equals(keys.keyFor(b, v).digest());
            assertThat(sameKey).isEqualTo(a.equals(b));
            assertThat(keys.keyFor(a, v).digest()).isNotEqualTo(keys.keyFor(a, v + "1").digest());
        });
        examples.assertAtLeast(200);
    }
}
