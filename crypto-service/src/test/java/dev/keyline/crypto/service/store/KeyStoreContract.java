package dev.keyline.crypto.service.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

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
import dev.keyline.crypto.service.keys.KeyUsageLimits;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
    /** Opens the store under test; {@code trustExistingRows} as {@code KEYLINE_STORE_TRUST_EXISTING_ROWS}. */
    abstract JdbcKeyStore open(boolean trustExistingRows);

    JdbcKeyStore open() {
        return open(false);
    }

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
        AccessControl access = new AccessControl(store.callers(), RANDOM, clock, Duration.ofSeconds(5));
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
        assertThat(new AccessControl(again.callers(), RANDOM, clock, Duration.ofSeconds(5)).authenticate(token).name()).isEqualTo("svc");
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

    /** A plain JDBC connection to the store's database (and schema), as an attacker with database access has. */
    abstract Connection raw() throws SQLException;

    /** Flyway on the store's database (and schema), without the Java migration: what an older release ran. */
    abstract org.flywaydb.core.api.configuration.FluentConfiguration flyway();

    void sql(String statement, Object... args) throws SQLException {
        try (Connection c = raw(); PreparedStatement ps = c.prepareStatement(statement)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        }
    }

    String queryText(String statement, Object... args) throws SQLException {
        try (Connection c = raw(); PreparedStatement ps = c.prepareStatement(statement)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    static void assertReason(ThrowingCallable call, CryptoException.Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    // ---- row MACs: a database writer cannot change what a caller or key may do

    @Test
    void callerGrants_editedInTheDatabase_refusedAndReported() throws Exception {
        JdbcKeyStore store = open();
        AccessControl access = new AccessControl(store.callers(), RANDOM, clock, Duration.ZERO);
        String svc = access.issue("svc", Grant.parseList("app:encrypt")).token();
        String other = access.issue("other", Grant.parseList("app:decrypt")).token();

        sql("UPDATE callers SET grants = '*:*' WHERE name = 'svc'");

        assertReason(() -> access.authenticate(svc), CryptoException.Reason.PERMISSION_DENIED);
        assertThat(refused).containsExactly("callers:svc");
        assertThat(access.list()).extracting(c -> c.name()).containsExactly("other");
        assertThat(access.authenticate(other).name()).isEqualTo("other");
    }

    @Test
    void callerTokenHash_replacedByAnAttackersToken_refused() throws Exception {
        JdbcKeyStore store = open();
        AccessControl access = new AccessControl(store.callers(), RANDOM, clock, Duration.ZERO);
        access.issue("admin", Grant.parseList("*:*"));
        String mine = access.issue("mine", Grant.parseList("app:read")).token();
        String myHash = queryText("SELECT token_hash FROM callers WHERE name = 'mine'");
        sql("DELETE FROM callers WHERE name = 'mine'");

        sql("UPDATE callers SET token_hash = ? WHERE name = 'admin'", myHash);

        assertReason(() -> access.authenticate(mine), CryptoException.Reason.PERMISSION_DENIED);
        assertThat(refused).containsExactly("callers:admin");
    }

    @Test
    void callerRow_withTheMacOfAnotherCaller_refused() throws Exception {
        JdbcKeyStore store = open();
        AccessControl access = new AccessControl(store.callers(), RANDOM, clock, Duration.ZERO);
        access.issue("admin", Grant.parseList("*:*"));
        String svc = access.issue("svc", Grant.parseList("app:encrypt")).token();
        String adminMac = queryText("SELECT row_mac FROM callers WHERE name = 'admin'");
        String adminCreated = queryText("SELECT created_at FROM callers WHERE name = 'admin'");

        // Everything of the admin row but its name and token hash: the MAC binds the row's identity.
        sql("UPDATE callers SET grants = '*:*', created_at = ?, row_mac = ? WHERE name = 'svc'", Long.parseLong(adminCreated), adminMac);

        assertReason(() -> access.authenticate(svc), CryptoException.Reason.PERMISSION_DENIED);
        assertThat(refused).containsExactly("callers:svc");
    }

    @Test
    void callerRow_withItsMacCleared_refused() throws Exception {
        JdbcKeyStore store = open();
        AccessControl access = new AccessControl(store.callers(), RANDOM, clock, Duration.ZERO);
        String svc = access.issue("svc", Grant.parseList("app:encrypt")).token();

        sql("UPDATE callers SET row_mac = NULL WHERE name = 'svc'");

        assertReason(() -> access.authenticate(svc), CryptoException.Reason.PERMISSION_DENIED);
    }

    @Test
    void ringState_revivedInTheDatabase_refusedWithKeyStateInvalid() throws Exception {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", "doomed");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        reg.setState(id, KeyState.PENDING_DELETION);

        sql("UPDATE key_rings SET state = 'ENABLED', deletion_at = NULL WHERE namespace = 'app' AND name = 'doomed'");

        assertReason(() -> ops.encrypt(id, new byte[] {1}, new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
        assertReason(() -> reg.metadata(id), CryptoException.Reason.KEY_STATE_INVALID);
        assertThat(refused).contains("key_rings:app/doomed");
        assertThat(reg.list("app")).isEmpty();
    }

    /** A legitimate change that retires version 1 of a rotated key, and the SQL that undoes it behind the service's back. */
    enum Retirement {
        MIN_DECRYPTION_VERSION_LOWERED("UPDATE key_rings SET min_decryption_version = 1 WHERE namespace = 'app' AND name = ?") {
            @Override
            void apply(KeyRegistry reg, KeyId id) {
                reg.setMinDecryptionVersion(id, 2);
            }
        },
        DISABLED_VERSION_REENABLED("UPDATE key_versions SET state = 'ENABLED' WHERE namespace = 'app' AND name = ? AND version = 1") {
            @Override
            void apply(KeyRegistry reg, KeyId id) {
                reg.setState(id.withVersion(1), KeyState.DISABLED);
            }
        };

        final String undo;

        Retirement(String undo) {
            this.undo = undo;
        }

        abstract void apply(KeyRegistry reg, KeyId id);
    }

    @ParameterizedTest
    @EnumSource(Retirement.class)
    void retiredVersion_madeUsableAgainInTheDatabase_refused(Retirement retirement) throws Exception {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", retirement.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        KeyOperations.Encrypted old = ops.encrypt(id, new byte[] {1}, new byte[0]);
        reg.rotate(id);
        retirement.apply(reg, id);
        assertReason(() -> ops.decrypt(old.keyId(), old.ciphertext(), new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);

        sql(retirement.undo, id.id());

        assertReason(() -> ops.decrypt(old.keyId(), old.ciphertext(), new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
        assertThat(refused).contains("key_rings:" + id.ringName());
    }

    @Test
    void ringRow_withTheMacOfAnotherRing_refused() throws Exception {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        reg.create(KeyId.of("app", "live"), KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        KeyId dead = KeyId.of("app", "dead");
        reg.create(dead, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        reg.setState(dead, KeyState.DISABLED);

        // Same clock, so every column but the name matches once the state is copied too.
        try (Connection c = raw(); PreparedStatement ps = c.prepareStatement("UPDATE key_rings SET state = 'ENABLED', revision ="
                + " (SELECT revision FROM key_rings WHERE name = 'live'), row_mac = (SELECT row_mac FROM key_rings WHERE name = 'live')"
                + " WHERE name = 'dead'")) {
            ps.executeUpdate();
        }

        assertReason(() -> ops.encrypt(dead, new byte[] {1}, new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
        assertThat(refused).contains("key_rings:app/dead");
        assertThat(ops.encrypt(KeyId.of("app", "live"), new byte[] {1}, new byte[0]).keyId().version()).isEqualTo(1);
    }

    @Test
    void untamperedRows_workAndNothingIsRefused() {
        JdbcKeyStore store = open();
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        AccessControl access = new AccessControl(store.callers(), RANDOM, clock, Duration.ZERO);
        String token = access.issue("svc", Grant.parseList("app:encrypt")).token();
        KeyId id = KeyId.of("app", "fine");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        reg.rotate(id);
        reg.setState(id.withVersion(1), KeyState.DISABLED);
        reg.setState(id.withVersion(1), KeyState.ENABLED);
        reg.setMinDecryptionVersion(id, 2);

        assertThat(access.authenticate(token).name()).isEqualTo("svc");
        assertThat(ops.encrypt(id, new byte[] {1}, new byte[0]).keyId().version()).isEqualTo(2);
        assertThat(reg.list("")).hasSize(1);
        assertThat(refused).isEmpty();
    }

    @Test
    void upgradeFromV1_macsExistingRowsOnce_thenRefusesAClearedMac() throws Exception {
        flyway().target("1").load().migrate();
        sql("INSERT INTO callers (name, token_hash, grants, created_at) VALUES ('old', ?, 'app:encrypt', 0)",
                java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest("kl_old-token".getBytes(StandardCharsets.UTF_8))));
        sql("INSERT INTO key_rings (namespace, name, algorithm, state, primary_version, min_decryption_version, rotation_period_seconds,"
                + " created_at, rotated_at, deletion_at, revision) VALUES ('app', 'old', 'AES_256_GCM', 'ENABLED', 1, 1, 0, 0, 0, NULL, 0)");
        byte[] wrapped = master.wrap(KeyId.of("app", "old", 1), KeyAlgorithm.AES_256_GCM,
                dev.keyline.crypto.core.keys.KeyMaterial.generate(KeyAlgorithm.AES_256_GCM, RANDOM, CryptoProviders.defaults()).serialize());
        sql("INSERT INTO key_versions (namespace, name, version, state, created_at, deletion_at, wrapped_material)"
                + " VALUES ('app', 'old', 1, 'ENABLED', 0, NULL, ?)", (Object) wrapped);

        assertThatThrownBy(this::open).isInstanceOfSatisfying(dev.keyline.kit.config.ConfigException.class,
                e -> assertThat(e.problems()).singleElement().asString().startsWith("KEYLINE_STORE_URL: cannot migrate the key store")
                        .contains("KEYLINE_STORE_TRUST_EXISTING_ROWS"));
        JdbcKeyStore store = open(true);
        AccessControl access = new AccessControl(store.callers(), RANDOM, clock, Duration.ZERO);
        KeyOperations ops = new KeyOperations(registry(store, Duration.ZERO), RANDOM, 1 << 20);
        assertThat(access.authenticate("kl_old-token").name()).isEqualTo("old");
        assertThat(ops.encrypt(KeyId.of("app", "old"), new byte[] {1}, new byte[0]).keyId().version()).isEqualTo(1);
        store.close();

        sql("UPDATE callers SET row_mac = NULL, grants = '*:*' WHERE name = 'old'");
        JdbcKeyStore again = open();
        assertReason(() -> new AccessControl(again.callers(), RANDOM, clock, Duration.ZERO).authenticate("kl_old-token"),
                CryptoException.Reason.PERMISSION_DENIED);
    }

    /**
     * A database writer forges a caller's grants, then deletes the row-MAC migration from Flyway's
     * history (and the usage counts it would recreate) so that it runs again at the next start:
     * the store refuses to open rather than MAC the forgery, and the forged row stays refused.
     */
    @Test
    void rowMacMigration_rerunAfterItsHistoryIsDeleted_refusesToMacForgedRows() throws Exception {
        JdbcKeyStore store = open();
        new AccessControl(store.callers(), RANDOM, clock, Duration.ZERO).issue("svc", List.of(Grant.parse("app:encrypt")));
        store.close();
        sql("UPDATE callers SET grants = '*:*' WHERE name = 'svc'");
        sql("DELETE FROM key_version_usage");
        sql("DELETE FROM flyway_schema_history WHERE version = '3'");

        dev.keyline.kit.config.ConfigException refused = catchThrowableOfType(dev.keyline.kit.config.ConfigException.class, this::open);

        assertThat(refused).isNotNull();
        assertThat(refused.subject()).isEqualTo("key store");
        assertThat(refused.getMessage()).contains("KEYLINE_STORE_TRUST_EXISTING_ROWS");
        try (Connection c = raw(); PreparedStatement ps = c.prepareStatement("SELECT grants FROM callers WHERE name = 'svc'");
                ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).as("nothing re-MACed or rewritten").isEqualTo("*:*");
        }
    }

    // ---- key lifecycle: minimum decryption version, secure delete, cache expiry, encryption counting

    @Test
    void setMinDecryptionVersion_lowerOrAbovePrimary_failsTyped() {
        KeyRegistry reg = registry(open(), Duration.ZERO);
        KeyId id = KeyId.of("app", "mdv");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        reg.rotate(id);
        reg.rotate(id);
        assertThat(reg.setMinDecryptionVersion(id, 2).minDecryptionVersion()).isEqualTo(2);

        assertReason(() -> reg.setMinDecryptionVersion(id, 1), CryptoException.Reason.KEY_STATE_INVALID);
        assertReason(() -> reg.setMinDecryptionVersion(id, 4), CryptoException.Reason.INVALID_ARGUMENT);
        assertThat(reg.setMinDecryptionVersion(id, 2).minDecryptionVersion()).isEqualTo(2);
        assertThat(reg.metadata(id).minDecryptionVersion()).isEqualTo(2);
    }

    @Test
    void materialCache_afterItsTtl_seesAVersionDisabledByAnotherReplica() {
        KeyRegistry a = registry(open(), Duration.ZERO);
        // B caches ring metadata for an hour: only the material TTL can make it look again.
        KeyRegistry b = new KeyRegistry(open(), master, CryptoProviders.defaults(), RANDOM, clock, Duration.ofHours(1), Duration.ofDays(7),
                new KeyUsageLimits(Duration.ofMinutes(5), 1L << 31, 1L << 32, 1 << 20));
        KeyOperations opsB = new KeyOperations(b, RANDOM, 1 << 20);
        KeyId id = KeyId.of("shared", "ttl");
        a.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        assertThat(opsB.encrypt(id, new byte[] {1}, new byte[0]).keyId().version()).isEqualTo(1);

        a.setState(id, KeyState.DISABLED);
        clock.advance(Duration.ofMinutes(4));
        assertThat(opsB.encrypt(id, new byte[] {2}, new byte[0]).keyId().version()).as("within the TTL").isEqualTo(1);
        clock.advance(Duration.ofMinutes(2));

        assertReason(() -> opsB.encrypt(id, new byte[] {3}, new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
    }

    KeyRegistry limited(JdbcKeyStore store, long rotateAfter, long limit, long block) {
        return new KeyRegistry(store, master, CryptoProviders.defaults(), RANDOM, clock, Duration.ofHours(1), Duration.ofDays(7),
                new KeyUsageLimits(Duration.ofMinutes(5), rotateAfter, limit, block));
    }

    @Test
    void encryptions_pastTheThreshold_rotateTheKey() {
        KeyRegistry reg = limited(open(), 3, 100, 1);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", "count");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        List<Integer> versions = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            versions.add(ops.encrypt(id, new byte[] {(byte) i}, new byte[0]).keyId().version());
        }
        // The 4th encryption passes 3: it still uses version 1 and rotates; the next use version 2.
        assertThat(versions).containsExactly(1, 1, 1, 1, 2, 2, 2);
        assertThat(reg.metadata(id).primaryVersion()).isEqualTo(2);
    }

    @Test
    void dataKeys_countAsEncryptions() {
        KeyRegistry reg = limited(open(), 2, 2, 1);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", "dk");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        ops.generateDataKey(id, new byte[0]);
        ops.encrypt(id, new byte[] {1}, new byte[0]);
        assertReason(() -> ops.generateDataKey(id, new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
    }

    @Test
    void encryptions_atTheHardLimit_refuseUntilRotated() {
        // Rotation threshold = limit: never passed, so the version refuses at the limit.
        KeyRegistry reg = limited(open(), 4, 4, 3);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", "hard");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        KeyOperations.Encrypted first = ops.encrypt(id, new byte[] {1}, new byte[0]);
        for (int i = 0; i < 3; i++) {
            ops.encrypt(id, new byte[] {1}, new byte[0]);
        }

        assertReason(() -> ops.encrypt(id, new byte[] {5}, new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
        assertThat(ops.decrypt(first.keyId(), first.ciphertext(), new byte[0])).as("decrypt is not limited").containsExactly(1);
        reg.rotate(id);
        assertThat(ops.encrypt(id, new byte[] {6}, new byte[0]).keyId().version()).isEqualTo(2);
    }

    @Test
    void encryptionCounts_surviveARestart_andBlocksLostInACrashStayCounted() {
        JdbcKeyStore store = open();
        KeyRegistry reg = limited(store, 10, 10, 4);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", "restart");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        for (int i = 0; i < 5; i++) {
            ops.encrypt(id, new byte[] {1}, new byte[0]);
        }
        // 5 encryptions reserved two blocks of 4: 8 are counted, 3 of them now lost with the process.
        store.close();

        KeyOperations again = new KeyOperations(limited(open(), 10, 10, 4), RANDOM, 1 << 20);
        again.encrypt(id, new byte[] {1}, new byte[0]);
        again.encrypt(id, new byte[] {1}, new byte[0]);
        assertReason(() -> again.encrypt(id, new byte[] {1}, new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
    }

    @Test
    void encryptionCounts_ofTwoReplicas_neverPassTheLimitTogether() throws Exception {
        KeyRegistry a = limited(open(), 40, 40, 3);
        KeyRegistry b = limited(open(), 40, 40, 3);
        KeyId id = KeyId.of("shared", "count");
        a.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (KeyRegistry r : List.of(a, b, a, b)) {
                KeyOperations ops = new KeyOperations(r, RANDOM, 1 << 20);
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 30; i++) {
                        try {
                            ops.encrypt(id, new byte[] {1}, new byte[0]);
                            ok.incrementAndGet();
                        } catch (CryptoException e) {
                            assertThat(e.reason()).isEqualTo(CryptoException.Reason.KEY_STATE_INVALID);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        // Every reserved block is used up before a replica is refused, so exactly the limit succeeds.
        assertThat(ok.get()).isEqualTo(40);
    }

    @Test
    void encryptionCount_resetInTheDatabase_refused() throws Exception {
        JdbcKeyStore store = open();
        KeyRegistry reg = limited(store, 10, 10, 2);
        KeyOperations ops = new KeyOperations(reg, RANDOM, 1 << 20);
        KeyId id = KeyId.of("app", "reset");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        ops.encrypt(id, new byte[] {1}, new byte[0]);
        ops.encrypt(id, new byte[] {1}, new byte[0]);

        sql("UPDATE key_version_usage SET encryptions = 0 WHERE namespace = 'app' AND name = 'reset'");

        assertReason(() -> ops.encrypt(id, new byte[] {1}, new byte[0]), CryptoException.Reason.KEY_STATE_INVALID);
        assertThat(refused).contains("key_version_usage:app/reset/1");
    }
}
