package dev.keyline.crypto.service.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.aead.AeadCiphertext;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.service.access.AccessControl;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.keys.KeyOperations;
import dev.keyline.crypto.service.keys.KeyRegistry;
import dev.keyline.crypto.service.keys.KeyRing;
import dev.keyline.crypto.service.keys.Operation;
import dev.keyline.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link KeyStore} must do; run against SQLite and the real PostgreSQL. */
abstract class KeyStoreContract {
    static final SecureRandom RANDOM = new SecureRandom();
    final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    final MasterKey master = MasterKey.of(SecretBytes.wrap(bytes(32)), RANDOM);
    final List<JdbcKeyStore> opened = new ArrayList<>();
    /** Every row the stores refused, as "table:row". */
    final List<String> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
    final RowMac.Listener listener = (table, row) -> refused.add(table + ":" + row);

    /** Opens the store under test; a second call opens another handle on the same database. */
    abstract JdbcKeyStore open();

    @BeforeEach
    void setUp() {
        opened.clear();
    }

    @AfterEach
    void closeAll() {
        opened.forEach(JdbcKeyStore::close);
    }

    JdbcKeyStore track(JdbcKeyStore s) {
        opened.add(s);
        return s;
    }

    KeyRegistry registry(JdbcKeyStore store, Duration ttl) {
        return new KeyRegistry(store, master, CryptoProviders.defaults(), RANDOM, clock, ttl, Duration.ofDays(7));
    }

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    @Test
    void create_thenFind_returnsEqualRing() {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyRing created = reg.create(KeyId.of("app", "k1"), KeyAlgorithm.ECDSA_P256_SHA256, Duration.ofDays(30));
        KeyRing found = store.find(KeyId.of("app", "k1")).orElseThrow();
        assertThat(found.algorithm()).isEqualTo(KeyAlgorithm.ECDSA_P256_SHA256);
        assertThat(found.rotationPeriod()).isEqualTo(Duration.ofDays(30));
        assertThat(found.versions()).isEqualTo(created.versions());
        assertThat(found.revision()).isEqualTo(created.revision());
    }

    @Test
    void create_twice_failsWithInvalidArgument() {
        KeyRegistry reg = registry(open(), Duration.ZERO);
        reg.create(KeyId.of("app", "dup"), KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        assertThatThrownBy(() -> reg.create(KeyId.of("app", "dup"), KeyAlgorithm.AES_256_GCM, Duration.ZERO))
                .isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.INVALID_ARGUMENT));
    }

    @Test
    void update_withStaleRevision_returnsFalseAndChangesNothing() {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyRing v1 = reg.create(KeyId.of("app", "cas"), KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        KeyRing v2 = reg.rotate(KeyId.of("app", "cas"));
        KeyRing stale = v1.rotate(clock.instant(), master.wrap(KeyId.of("app", "cas", 2), KeyAlgorithm.AES_256_GCM, SecretBytes.wrap(bytes(33))));
        assertThat(store.update(v1, stale)).isFalse();
        assertThat(store.find(KeyId.of("app", "cas")).orElseThrow().versions()).isEqualTo(v2.versions());
    }

    @Test
    void reopen_keepsEveryKeyVersionAndCaller() {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        reg.create(KeyId.of("app", "persist"), KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        KeyOperations.Encrypted e1 = ops.encrypt(KeyId.of("app", "persist"), "one".getBytes(StandardCharsets.UTF_8), new byte[0]);
        reg.rotate(KeyId.of("app", "persist"));
        KeyOperations.Encrypted e2 = ops.encrypt(KeyId.of("app", "persist"), "two".getBytes(StandardCharsets.UTF_8), new byte[0]);
        reg.setState(KeyId.of("app", "persist", 1), KeyState.DISABLED);
        AccessControl access = new AccessControl(store, RANDOM, clock, Duration.ofSeconds(5));
        String token = access.issue("svc", Grant.parseList("app:encrypt")).token();
        store.close();

        JdbcKeyStore again = open();
        KeyRegistry reg2 = registry(again, Duration.ZERO);
        KeyOperations ops2 = new KeyOperations(reg2, RANDOM, 1 << 20);
        KeyRing ring = reg2.metadata(KeyId.of("app", "persist"));
        assertThat(ring.primaryVersion()).isEqualTo(2);
        assertThat(ring.version(1).state()).isEqualTo(KeyState.DISABLED);
        assertThat(new String(ops2.decrypt(e2.keyId(), e2.ciphertext(), new byte[0]), StandardCharsets.UTF_8)).isEqualTo("two");
        reg2.setState(KeyId.of("app", "persist", 1), KeyState.ENABLED);
        assertThat(new String(ops2.decrypt(e1.keyId(), e1.ciphertext(), new byte[0]), StandardCharsets.UTF_8)).isEqualTo("one");
        assertThat(new AccessControl(again, RANDOM, clock, Duration.ofSeconds(5)).authenticate(token).name()).isEqualTo("svc");
    }

    @Test
    void twoHandles_seeEachOthersRotations() {
        KeyRegistry a = registry(open(), Duration.ofSeconds(1));
        KeyRegistry b = registry(open(), Duration.ofSeconds(1));
        KeyOperations opsA = new KeyOperations(a, RANDOM, 1 << 20);
        KeyOperations opsB = new KeyOperations(b, RANDOM, 1 << 20);
        KeyId id = KeyId.of("shared", "rot");
        a.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        assertThat(opsB.encrypt(id, new byte[] {1}, new byte[0]).keyId().version()).isEqualTo(1);
        a.rotate(id);
        KeyOperations.Encrypted byA = opsA.encrypt(id, new byte[] {2}, new byte[0]);
        assertThat(byA.keyId().version()).isEqualTo(2);
        // B has never seen version 2 yet it decrypts at once: an explicit newer version reloads.
        assertThat(opsB.decrypt(byA.keyId(), byA.ciphertext(), new byte[0])).containsExactly(2);
        // After the metadata TTL, B encrypts with the new primary too.
        clock.advance(Duration.ofSeconds(2));
        assertThat(opsB.encrypt(id, new byte[] {3}, new byte[0]).keyId().version()).isEqualTo(2);
    }

    @Test
    void concurrentRotations_fromTwoHandles_produceOneVersionEach() throws Exception {
        KeyRegistry a = registry(open(), Duration.ZERO);
        KeyRegistry b = registry(open(), Duration.ZERO);
        KeyId id = KeyId.of("shared", "race");
        a.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        int perSide = 10;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (KeyRegistry r : List.of(a, b)) {
                fs.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < perSide; i++) {
                        r.rotate(id);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        KeyRing ring = a.metadata(id);
        assertThat(ring.primaryVersion()).isEqualTo(1 + 2 * perSide);
        assertThat(ring.versions()).hasSize(1 + 2 * perSide);
    }

    @Test
    void wrappedMaterial_underAnotherMasterKey_failsToUnwrap() {
        JdbcKeyStore store = open();
        registry(store, Duration.ZERO).create(KeyId.of("app", "mk"), KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        KeyRegistry other = new KeyRegistry(store, MasterKey.of(SecretBytes.wrap(bytes(32)), RANDOM), CryptoProviders.defaults(), RANDOM,
                clock, Duration.ZERO, Duration.ofDays(7));
        assertThatThrownBy(() -> other.resolve(KeyId.of("app", "mk"), Operation.ENCRYPT))
                .isInstanceOfSatisfying(CryptoException.class, e -> {
                    assertThat(e.reason()).isEqualTo(CryptoException.Reason.INTERNAL);
                    assertThat(e.getMessage()).contains("wrong master key");
                });
    }

    @Test
    void scheduledDeletion_afterItsDate_destroysMaterialButKeepsMetadata() {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", "doomed");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        AeadCiphertext ct = ops.encrypt(id, new byte[] {9}, new byte[0]).ciphertext();
        reg.setState(id, KeyState.PENDING_DELETION);
        clock.advance(Duration.ofDays(6));
        assertThat(reg.destroyDue()).isEmpty();
        clock.advance(Duration.ofDays(2));
        assertThat(reg.destroyDue()).containsExactly(id);
        KeyRing ring = store.find(id).orElseThrow();
        assertThat(ring.state()).isEqualTo(KeyState.DESTROYED);
        assertThat(ring.versions()).allSatisfy(v -> assertThat(v.wrappedMaterial()).isEmpty());
        assertThatThrownBy(() -> ops.decrypt(id.withVersion(1), ct, new byte[0]))
                .isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.KEY_STATE_INVALID));
    }

    @Test
    void rotationPeriod_whenDue_rotatesOnce() {
        KeyRegistry reg = registry(open(), Duration.ZERO);
        KeyId id = KeyId.of("app", "auto");
        reg.create(id, KeyAlgorithm.ECDSA_P256_SHA256, Duration.ofDays(1));
        assertThat(reg.rotateDue()).isEmpty();
        clock.advance(Duration.ofDays(1));
        assertThat(reg.rotateDue()).containsExactly(id.withVersion(2));
        assertThat(reg.rotateDue()).isEmpty();
    }

    @Test
    void runExclusive_whileHeld_refusesSecondHolder() throws Exception {
        JdbcKeyStore one = open();
        JdbcKeyStore two = dialectSharesLocks() ? open() : one;
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> one.runExclusive("test-lock", () -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 1;
        }));
        inside.await();
        assertThat(two.runExclusive("test-lock", () -> 2)).isEmpty();
        release.countDown();
        holder.join();
        assertThat(two.runExclusive("test-lock", () -> 3)).contains(3);
    }

    /** Whether two handles on the database share one lock space (PostgreSQL) or only one process's. */
    abstract boolean dialectSharesLocks();
}
