package dev.keyline.token.families;

import dev.keyline.token.TokenServerFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.RedisFixture;
import dev.keyline.token.storage.TokenStore;
import dev.keyline.token.storage.CryptoEncryptor;
import dev.keyline.token.storage.InMemoryTokenStore;
import dev.keyline.token.storage.EncryptedTokenStore;
import dev.keyline.token.storage.RedisTokenStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token families on the real Redis, encrypted through the real crypto service: rotation, reuse
 * detection, the concurrent-refresh race, TTL = absolute expiry, revocation, and what Redis sees.
 */
class TokenFamiliesRedisTest {
    private static final Duration LIFETIME = Duration.ofHours(2);

    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static CryptoClient client;
    static RedisFixture redis;
    static RedisTokenStore redisStorage;
    static EncryptedTokenStore storage;
    static SimpleMeterRegistry meters = new SimpleMeterRegistry();
    static TokenFamilies families;
    static SecretBytes macKey;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir);
        client = TokenServerFixture.clientWithAesKey(crypto, "family-encryption");
        KeyId key = KeyId.of("token", "family-encryption");
        redis = new RedisFixture();
        redisStorage = RedisTokenStore.connect(RedisFixture.URL, redis.prefix, Duration.ofSeconds(5));
        storage = new EncryptedTokenStore(redisStorage, new CryptoEncryptor(EnvelopeEncryptor.builder(client, key).build()),
                k -> k.getBytes(StandardCharsets.UTF_8));
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        macKey = SecretBytes.copyOf(k);
        families = families(Duration.ZERO);
    }

    static TokenFamilies families(Duration grace) {
        return new TokenFamilies(storage, HmacSha256.of(macKey), InstantSource.system(), new SecureRandom(), grace, meters);
    }

    @AfterAll
    static void stop() {
        storage.close();
        redis.close();
        client.close();
        crypto.close();
    }

    private static TokenFamilies.Issued start(String subject) {
        return families.start(subject, "app", "openid orders", List.of("api://orders"), Map.of("tenant", "acme"), LIFETIME);
    }

    @Test
    void refresh_newestToken_rotatesAndKeepsClaims() {
        TokenFamilies.Issued first = start("alice");
        TokenFamilies.Issued second = families.refresh(first.refreshToken(), "app");
        assertThat(second.refreshToken()).isNotEqualTo(first.refreshToken()).hasSize(43);
        assertThat(second.family().generation()).isEqualTo(2);
        assertThat(second.family().subject()).isEqualTo("alice");
        assertThat(second.family().extraClaims()).containsEntry("tenant", "acme");
        TokenFamilies.Issued third = families.refresh(second.refreshToken(), "app");
        assertThat(third.family().generation()).isEqualTo(3);
        assertThat(third.family().expiresAt()).isEqualTo(first.family().expiresAt());
    }

    @Test
    void refresh_usedToken_revokesWholeFamilyAndCountsReuse() {
        TokenFamilies.Issued first = start("bob");
        TokenFamilies.Issued second = families.refresh(first.refreshToken(), "app");
        double before = meters.counter("keyline_token_refresh_reuse_total").count();
        assertThatThrownBy(() -> families.refresh(first.refreshToken(), "app"))
                .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.REUSED));
        assertThatThrownBy(() -> families.refresh(second.refreshToken(), "app"))
                .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.REVOKED));
        assertThat(meters.counter("keyline_token_refresh_reuse_total").count()).isEqualTo(before + 1);
        assertThat(families.family(first.family().familyId()).orElseThrow().revoked()).isTrue();
    }

    @Test
    void refresh_concurrentRefreshesOfOneToken_exactlyOneWins_repeated50Times() throws Exception {
        int threads = 8;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int round = 0; round < 50; round++) {
                TokenFamilies.Issued issued = start("race-" + round);
                CountDownLatch go = new CountDownLatch(1);
                AtomicInteger wins = new AtomicInteger();
                AtomicInteger refused = new AtomicInteger();
                List<Future<?>> all = new java.util.ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    all.add(pool.submit(() -> {
                        go.await();
                        try {
                            families.refresh(issued.refreshToken(), "app");
                            wins.incrementAndGet();
                        } catch (FamilyException e) {
                            refused.incrementAndGet();
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : all) {
                    f.get();
                }
                assertThat(wins.get()).as("round %d", round).isEqualTo(1);
                assertThat(refused.get()).isEqualTo(threads - 1);
                // The losers presented a used token: strict reuse detection revoked the family.
                assertThat(families.family(issued.family().familyId()).orElseThrow().revoked()).isTrue();
            }
        }
    }

    /*
     * Compares Redis's absolute expiry (PEXPIRETIME) with the family's, exactly: no window that a
     * slow machine could overrun between creating the family and reading its TTL.
     */
    @Test
    void storage_redisTtlIsTheFamilysAbsoluteExpiry_andRefreshDoesNotExtendIt() {
        dev.keyline.testing.MutableClock clock = new dev.keyline.testing.MutableClock(Instant.now());
        TokenFamilies timed = new TokenFamilies(storage, HmacSha256.of(macKey), clock, new SecureRandom(), Duration.ZERO, meters);
        TokenFamilies.Issued first = timed.start("carol", "app", "openid orders", List.of("api://orders"), Map.of("tenant", "acme"), LIFETIME);
        String key = redis.prefix + first.family().familyId();
        long expiresAt = first.family().expiresAt().toEpochMilli();
        assertThat(redis.redis().pexpiretime(key)).isEqualTo(expiresAt);
        // A refresh an hour later: one that extended the expiry from "now" would move it by that hour.
        clock.advance(Duration.ofHours(1));
        TokenFamilies.Issued second = timed.refresh(first.refreshToken(), "app");
        assertThat(redis.redis().pexpiretime(key)).isEqualTo(expiresAt);
        // The refresh-token index entries expire with the family, exactly.
        List<String> index = redis.keys().stream().filter(k -> k.startsWith(redis.prefix + "rt:")).toList();
        assertThat(index).isNotEmpty();
        for (String k : index) {
            assertThat(redis.redis().pexpiretime(k)).isPositive().isLessThanOrEqualTo(Instant.now().plus(LIFETIME).toEpochMilli());
        }
        assertThat(second.family().expiresAt()).isEqualTo(first.family().expiresAt());
    }

    @Test
    void storage_redisSeesNoPlaintextAndEnvelopeIsBoundToItsFamilyId() {
        TokenFamilies.Issued a = start("dave-the-subject");
        TokenFamilies.Issued b = start("erin");
        byte[] raw = redis.redis().hget(redis.prefix + a.family().familyId(), "d");
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain("dave-the-subject").doesNotContain("acme").doesNotContain("openid");
        for (String k : redis.keys()) {
            assertThat(k).doesNotContain(a.refreshToken()).doesNotContain(b.refreshToken());
        }
        // Copy a's envelope over b's record: it must not decrypt as b's (AAD = family id).
        redis.redis().hset(redis.prefix + b.family().familyId(), "d", raw);
        assertTampered(() -> families.refresh(b.refreshToken(), "app"));
    }

    private static void assertTampered(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(FamilyException.class,
                e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.TAMPERED));
    }

    /** Runs the rollback scenario: start, capture, refresh, reuse (revoked), then {@code rollBack}; both tokens must stay dead. */
    private static void assertRollbackRefused(String subject, java.util.function.BiConsumer<String, byte[][]> rollBack) {
        TokenFamilies.Issued first = start(subject);
        String key = redis.prefix + first.family().familyId();
        byte[][] saved = {redis.redis().dump(key), redis.redis().hget(key, "d"), redis.redis().dump(key + "#v")};
        TokenFamilies.Issued second = families.refresh(first.refreshToken(), "app");
        assertThatThrownBy(() -> families.refresh(first.refreshToken(), "app"))
                .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.REUSED));
        rollBack.accept(key, saved);
        assertTampered(() -> families.refresh(first.refreshToken(), "app"));
        assertTampered(() -> families.refresh(second.refreshToken(), "app"));
        assertThat(families.inspect(first.refreshToken())).isEmpty();
        assertThat(families.inspect(second.refreshToken())).isEmpty();
        assertThat(families.revoke(second.refreshToken(), "app")).isFalse();
    }

    @Test
    void refresh_oldRecordValueWrittenBackAfterRevocation_isRefusedAndBothTokensStayDead() {
        // Only the encrypted value goes back: its AAD names version 1, the record is at version 3.
        assertRollbackRefused("rollback-value", (key, saved) -> redis.redis().hset(key, "d", saved[1]));
    }

    @Test
    void refresh_wholeRecordRestoredAfterRevocation_isRefusedByTheVersionWitness() {
        // The whole hash (version 1 and its matching value) goes back: the witness still says 3.
        assertRollbackRefused("rollback-hash", (key, saved) -> {
            redis.redis().del(key);
            redis.redis().restore(key, 0, saved[0]);
        });
    }

    @Test
    void refresh_oldBytesSetAsPlainStringAfterRevocation_isRefused() {
        assertRollbackRefused("rollback-set", (key, saved) -> redis.redis().set(key, saved[1]));
    }

    @Test
    void refresh_recordRestoredAndWitnessDeleted_isRefused() {
        assertRollbackRefused("rollback-nowitness", (key, saved) -> {
            redis.redis().del(key, key + "#v");
            redis.redis().restore(key, 0, saved[0]);
        });
    }

    @Test
    void refresh_familyRecordDeleted_resurrectsNothing() {
        TokenFamilies.Issued first = start("deleted");
        TokenFamilies.Issued second = families.refresh(first.refreshToken(), "app");
        String key = redis.prefix + first.family().familyId();
        redis.redis().del(key);
        for (String t : List.of(first.refreshToken(), second.refreshToken())) {
            assertThatThrownBy(() -> families.refresh(t, "app"))
                    .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.UNKNOWN));
        }
        // The witness alone does not let anything be written back under the family's id.
        assertThat(redis.redis().exists(key)).isZero();
    }

    @Test
    void refresh_wholeRecordAndWitnessCopiedFromAnotherFamily_isRefusedByTheAad() {
        TokenFamilies.Issued a = start("copy-a");
        TokenFamilies.Issued b = start("copy-b");
        families.refresh(b.refreshToken(), "app");
        String ka = redis.prefix + a.family().familyId();
        String kb = redis.prefix + b.family().familyId();
        byte[] hash = redis.redis().dump(ka);
        byte[] witness = redis.redis().dump(ka + "#v");
        redis.redis().del(kb, kb + "#v");
        redis.redis().restore(kb, 0, hash);
        redis.redis().restore(kb + "#v", 0, witness);
        assertTampered(() -> families.refresh(b.refreshToken(), "app"));
        // a's own record is untouched and still works.
        assertThat(families.refresh(a.refreshToken(), "app").family().generation()).isEqualTo(2);
    }

    @Test
    void refresh_inMemoryStorageWithOldValueUnderNewerVersion_isRefused() {
        InMemoryTokenStore inner = new InMemoryTokenStore(InstantSource.system());
        EncryptedTokenStore sealed = new EncryptedTokenStore(inner, new CryptoEncryptor(EnvelopeEncryptor.builder(client,
                KeyId.of("token", "family-encryption")).build()), k -> k.getBytes(StandardCharsets.UTF_8));
        TokenFamilies mem = new TokenFamilies(sealed, HmacSha256.of(macKey), InstantSource.system(), new SecureRandom(), Duration.ZERO, meters);
        TokenFamilies.Issued first = mem.start("mem", "app", "openid", List.of(), Map.of(), LIFETIME);
        byte[] old = inner.get(first.family().familyId()).orElseThrow().value();
        TokenFamilies.Issued second = mem.refresh(first.refreshToken(), "app");
        assertThatThrownBy(() -> mem.refresh(first.refreshToken(), "app")).isInstanceOf(FamilyException.class);
        long version = inner.get(first.family().familyId()).orElseThrow().version();
        assertThat(inner.compareAndSet(new TokenStore.Put(first.family().familyId(), old, first.family().expiresAt()), version, List.of()))
                .isTrue();
        for (String t : List.of(first.refreshToken(), second.refreshToken())) {
            assertThatThrownBy(() -> mem.refresh(t, "app"))
                    .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.TAMPERED));
        }
    }

    @Test
    void refresh_byAnotherClient_isRefusedWithoutRevoking() {
        TokenFamilies.Issued first = start("frank");
        assertThatThrownBy(() -> families.refresh(first.refreshToken(), "other"))
                .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.CLIENT_MISMATCH));
        assertThat(families.refresh(first.refreshToken(), "app").family().generation()).isEqualTo(2);
    }

    @Test
    void revoke_refreshToken_revokesFamily_unknownTokenIsNoOp() {
        TokenFamilies.Issued first = start("gina");
        TokenFamilies.Issued second = families.refresh(first.refreshToken(), "app");
        assertThat(families.revoke(second.refreshToken(), "someone-else")).isFalse();
        assertThat(families.revoke(second.refreshToken(), "app")).isTrue();
        assertThat(families.revoke(second.refreshToken(), "app")).isFalse();
        assertThatThrownBy(() -> families.refresh(second.refreshToken(), "app")).isInstanceOf(FamilyException.class);
        assertThat(families.revoke("A".repeat(43), "app")).isFalse();
        assertThat(families.inspect(second.refreshToken()).orElseThrow().active()).isFalse();
    }

    @Test
    void refresh_withGrace_immediatePredecessorGetsSameChild_olderStillRevokes() {
        TokenFamilies graceful = families(Duration.ofSeconds(30));
        TokenFamilies.Issued first = graceful.start("hal", "app", "openid", List.of(), Map.of(), LIFETIME);
        TokenFamilies.Issued second = graceful.refresh(first.refreshToken(), "app");
        TokenFamilies.Issued retry = graceful.refresh(first.refreshToken(), "app");
        assertThat(retry.refreshToken()).isEqualTo(second.refreshToken());
        TokenFamilies.Issued third = graceful.refresh(second.refreshToken(), "app");
        assertThatThrownBy(() -> graceful.refresh(first.refreshToken(), "app"))
                .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.REUSED));
        assertThatThrownBy(() -> graceful.refresh(third.refreshToken(), "app")).isInstanceOf(FamilyException.class);
    }

    @Test
    void refresh_malformedOrUnknownToken_isUnknown() {
        for (String t : new String[] {"", "short", "A".repeat(43), "!".repeat(43), "A".repeat(500)}) {
            assertThatThrownBy(() -> families.refresh(t, "app"))
                    .isInstanceOfSatisfying(FamilyException.class, e -> assertThat(e.reason()).isEqualTo(FamilyException.Reason.UNKNOWN));
        }
    }
}
