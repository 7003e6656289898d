package dev.keyline.crypto.service.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.keys.KeyRing;
import dev.keyline.crypto.service.keys.KeyVersion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import dev.keyline.kit.config.ConfigException;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.flywaydb.core.Flyway;

/**
 * The JDBC key store: an SQLite file (embedded default) or PostgreSQL (several replicas).
 * Schema by Flyway. Every change is one transaction guarded by the ring's revision, so two
 * replicas rotating the same key at once produce exactly one new version each time. This class
 * owns the connection pool, the migrations and the key rings; the callers table, in the same
 * database and under the same row MACs, is {@link #callers()}.
 */
public final class JdbcKeyStore implements KeyStore {
    /** The subject of the {@link ConfigException} a store that cannot be opened with its settings raises. */
    private static final String SUBJECT = "key store";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JdbcKeyStore.class);
    /** The databases the store runs on. */
    public enum Dialect { SQLITE, POSTGRESQL }

    private final HikariDataSource dataSource;
    private final Dialect dialect;
    private final String description;
    private final ReentrantLock localLock = new ReentrantLock();
    private final RowMac mac;
    private final RowMac.Listener listener;
    private final JdbcCallerStore callers;

    private JdbcKeyStore(HikariDataSource dataSource, Dialect dialect, String description, RowMac mac, RowMac.Listener listener) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.description = description;
        this.mac = mac;
        this.listener = listener;
        this.callers = new JdbcCallerStore(this, mac);
    }

    /** The callers stored in the same database (closed with this store). */
    public JdbcCallerStore callers() {
        return callers;
    }

    /**
     * Creates the PostgreSQL schema once, before the pool opens. Replicas starting together race
     * here: PostgreSQL's CREATE SCHEMA IF NOT EXISTS can still fail with a unique violation when
     * another session creates the same schema at that moment, which then means the schema is there.
     */
    private static void createSchemaIfMissing(String jdbcUrl, String user, String password, String schema) {
        java.util.Properties props = new java.util.Properties();
        if (user != null && !user.isEmpty()) {
            props.setProperty("user", user);
        }
        if (password != null && !password.isEmpty()) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", "10");
        if (schema.indexOf('"') >= 0 || schema.indexOf('\0') >= 0) {
            throw ConfigException.of(SUBJECT, "KEYLINE_STORE_SCHEMA: may not contain '\"' or NUL");
        }
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl, props)) {
            // Looked up first, so a role without CREATE on the database can use a schema made for it.
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
                ps.setString(1, schema);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
            try (java.sql.Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"");
            }
        } catch (SQLException e) {
            boolean raced = "23505".equals(e.getSQLState()) || "42P06".equals(e.getSQLState());
            if (!raced) {
                throw ConfigException.of(SUBJECT, "KEYLINE_STORE_URL: cannot open the key store " + redactUrl(jdbcUrl) + ": " + rootMessage(e), e);
            }
        }
    }

    /**
     * Opens (and migrates) the store at {@code jdbcUrl}: {@code jdbc:sqlite:/path/keys.db} or
     * {@code jdbc:postgresql://host:port/db}. {@code schema} selects a PostgreSQL schema (created
     * when absent); empty means the default. Rows are authenticated with {@code masterKey}'s
     * {@link MasterKey#rowMac() row MAC}; {@code listener} hears of every row refused for a bad MAC.
     */
    public static JdbcKeyStore open(String jdbcUrl, String user, String password, String schema, MasterKey masterKey,
            RowMac.Listener listener) {
        return open(jdbcUrl, user, password, schema, masterKey, listener, false);
    }

    /**
     * Opens (and migrates) the store. {@code trustExistingRows} lets the row-MAC migration MAC the
     * callers, key rings and versions a store from before row MACs holds (trust on upgrade);
     * without it such a store is refused, so a database writer who deletes that migration's
     * history cannot get forged rows MAC'd at the next start.
     */
    public static JdbcKeyStore open(String jdbcUrl, String user, String password, String schema, MasterKey masterKey,
            RowMac.Listener listener, boolean trustExistingRows) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        RowMac rowMac = masterKey.rowMac();
        Objects.requireNonNull(listener, "listener");
        Dialect dialect;
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(jdbcUrl);
        cfg.setPoolName("keyline-keystore");
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            dialect = Dialect.SQLITE;
            // One connection: SQLite has one writer anyway, and this avoids SQLITE_BUSY.
            cfg.setMaximumPoolSize(1);
            cfg.addDataSourceProperty("journal_mode", "WAL");
            cfg.addDataSourceProperty("synchronous", "FULL");
            cfg.addDataSourceProperty("foreign_keys", "true");
            cfg.addDataSourceProperty("busy_timeout", "10000");
            // Deleted content (destroyed key material) is overwritten with zeros, not left in free space.
            cfg.addDataSourceProperty("secure_delete", "true");
        } else if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            dialect = Dialect.POSTGRESQL;
            cfg.setMaximumPoolSize(8);
            if (user != null && !user.isEmpty()) {
                cfg.setUsername(user);
            }
            if (password != null && !password.isEmpty()) {
                cfg.setPassword(password);
            }
            if (schema != null && !schema.isEmpty()) {
                createSchemaIfMissing(jdbcUrl, user, password, schema);
                cfg.setSchema(schema);
            }
        } else {
            throw ConfigException.of(SUBJECT, "KEYLINE_STORE_URL: must start with jdbc:sqlite: or jdbc:postgresql:");
        }
        cfg.setConnectionTimeout(10_000);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(cfg);
        } catch (RuntimeException e) {
            throw ConfigException.of(SUBJECT, "KEYLINE_STORE_URL: cannot open the key store " + redactUrl(jdbcUrl) + ": " + rootMessage(e), e);
        }
        try {
            var fw = Flyway.configure().dataSource(ds)
                    .locations("classpath:db/migration/" + dialect.name().toLowerCase(java.util.Locale.ROOT))
                    .javaMigrations(new V3__Mac_existing_rows(rowMac, trustExistingRows));
            if (schema != null && !schema.isEmpty() && dialect == Dialect.POSTGRESQL) {
                fw = fw.schemas(schema);
            }
            fw.load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw ConfigException.of(SUBJECT, "KEYLINE_STORE_URL: cannot migrate the key store " + redactUrl(jdbcUrl) + ": " + rootMessage(e), e);
        }
        return new JdbcKeyStore(ds, dialect, dialect.name().toLowerCase(java.util.Locale.ROOT) + " " + redactUrl(jdbcUrl), rowMac, listener);
    }

    private static String redactUrl(String url) {
        return url.replaceAll("password=[^&]*", "password=***");
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage();
    }

    public Dialect dialect() {
        return dialect;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void create(KeyRing ring) {
        inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM key_rings WHERE namespace = ? AND name = ?")) {
                ps.setString(1, ring.name().namespace());
                ps.setString(2, ring.name().id());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        throw new CryptoException(Reason.INVALID_ARGUMENT, "key " + ring.name().ringName() + " already exists");
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO key_rings (namespace, name, algorithm, state, primary_version,"
                    + " min_decryption_version, rotation_period_seconds, created_at, rotated_at, deletion_at, revision, row_mac)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                bindRing(ps, ring, 1);
                ps.setString(12, ringMac(mac, ring).mac());
                ps.executeUpdate();
            } catch (SQLException e) {
                if (isUniqueViolation(e)) {
                    throw new CryptoException(Reason.INVALID_ARGUMENT, "key " + ring.name().ringName() + " already exists");
                }
                throw e;
            }
            for (KeyVersion v : ring.versions()) {
                insertVersion(c, ring.name(), v);
            }
            return null;
        });
    }

    @Override
    public Optional<KeyRing> find(KeyId name) {
        return inTransaction(c -> {
            Loaded loaded = load(c, "WHERE r.namespace = ? AND r.name = ?", name.namespace(), name.id());
            if (!loaded.refused().isEmpty()) {
                throw new CryptoException(Reason.KEY_STATE_INVALID,
                        "key " + name.ringName() + " failed its integrity check (its stored state was not written by this service); refused");
            }
            return loaded.rings().values().stream().findFirst();
        });
    }

    @Override
    public List<KeyRing> list(String namespace) {
        return inTransaction(c -> new ArrayList<>(namespace == null || namespace.isEmpty()
                ? load(c, "").rings().values()
                : load(c, "WHERE r.namespace = ?", namespace).rings().values()));
    }

    @Override
    public boolean update(KeyRing expected, KeyRing next) {
        if (!expected.name().equals(next.name())) {
            throw new IllegalArgumentException("update must keep the ring's name");
        }
        boolean stored = write(expected, next);
        if (stored && dialect == Dialect.SQLITE && destroysMaterial(expected, next)) {
            checkpoint();
        }
        return stored;
    }

    private static boolean destroysMaterial(KeyRing expected, KeyRing next) {
        for (KeyVersion v : next.versions()) {
            if (v.version() <= expected.versions().size() && v.wrappedMaterial().isEmpty()
                    && expected.versions().get(v.version() - 1).wrappedMaterial().isPresent()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Copies the WAL into the database and truncates it, so the pages that held destroyed material
     * (zeroed in the database by secure_delete) do not stay in the WAL file.
     */
    private void checkpoint() {
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
            if (rs.next() && rs.getInt(1) != 0) {
                LOG.warn("the WAL checkpoint after destroying key material was blocked; destroyed material may stay in the WAL until"
                        + " the next checkpoint");
            }
        } catch (SQLException e) {
            LOG.warn("the WAL checkpoint after destroying key material failed: {}", e.getSQLState());
        }
    }

    /** The value of an SQLite pragma on the store's own connection (tests check the settings took). */
    String sqlitePragma(String name) {
        if (!name.matches("[a-z_]+")) {
            throw new IllegalArgumentException("not a pragma name");
        }
        try (Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getString(1) : "";
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private boolean write(KeyRing expected, KeyRing next) {
        return inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE key_rings SET state = ?, primary_version = ?, min_decryption_version = ?,"
                    + " rotation_period_seconds = ?, rotated_at = ?, deletion_at = ?, revision = ?, row_mac = ?"
                    + " WHERE namespace = ? AND name = ? AND revision = ?")) {
                ps.setString(1, next.state().name());
                ps.setInt(2, next.primaryVersion());
                ps.setInt(3, next.minDecryptionVersion());
                ps.setLong(4, next.rotationPeriod().toSeconds());
                ps.setLong(5, next.rotatedAt().toEpochMilli());
                setNullableInstant(ps, 6, next.deletionAt().orElse(null));
                ps.setLong(7, next.revision());
                ps.setString(8, ringMac(mac, next).mac());
                ps.setString(9, next.name().namespace());
                ps.setString(10, next.name().id());
                ps.setLong(11, expected.revision());
                if (ps.executeUpdate() != 1) {
                    c.rollback();
                    return false;
                }
            }
            List<KeyVersion> old = expected.versions();
            for (KeyVersion v : next.versions()) {
                if (v.version() > old.size()) {
                    insertVersion(c, next.name(), v);
                } else if (!v.equals(old.get(v.version() - 1))) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE key_versions SET state = ?, deletion_at = ?, wrapped_material = ?,"
                            + " row_mac = ? WHERE namespace = ? AND name = ? AND version = ?")) {
                        ps.setString(1, v.state().name());
                        setNullableInstant(ps, 2, v.deletionAt().orElse(null));
                        byte[] m = v.wrappedMaterial().orElse(null);
                        if (m == null) {
                            ps.setNull(3, dialect == Dialect.POSTGRESQL ? Types.BINARY : Types.BLOB);
                        } else {
                            ps.setBytes(3, m);
                        }
                        ps.setString(4, versionMac(mac, next.name(), v).mac());
                        ps.setString(5, next.name().namespace());
                        ps.setString(6, next.name().id());
                        ps.setInt(7, v.version());
                        ps.executeUpdate();
                    }
                }
            }
            return true;
        });
    }

    @Override
    public Reservation reserveEncryptions(KeyId version, long block, long limit) {
        if (version.version() < 1 || block < 1 || limit < 0) {
            throw new IllegalArgumentException("a reservation needs a concrete version, a positive block and a limit");
        }
        return inTransaction(c -> {
            if (dialect == Dialect.SQLITE) {
                // Take the write lock first (waiting out busy_timeout): a read transaction that later
                // writes fails at once when another connection wrote in between.
                try (PreparedStatement ps = c.prepareStatement("UPDATE key_version_usage SET encryptions = encryptions"
                        + " WHERE namespace = ? AND name = ? AND version = ?")) {
                    ps.setString(1, version.namespace());
                    ps.setString(2, version.id());
                    ps.setInt(3, version.version());
                    ps.executeUpdate();
                }
            }
            long current;
            try (PreparedStatement ps = c.prepareStatement("SELECT encryptions, row_mac FROM key_version_usage"
                    + " WHERE namespace = ? AND name = ? AND version = ?" + (dialect == Dialect.POSTGRESQL ? " FOR UPDATE" : ""))) {
                ps.setString(1, version.namespace());
                ps.setString(2, version.id());
                ps.setInt(3, version.version());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !mac.usage(version.namespace(), version.id(), version.version(), rs.getLong(1)).verify(rs.getString(2))) {
                        refuse("key_version_usage", version.toString());
                        throw new CryptoException(Reason.KEY_STATE_INVALID, "the encryption count of " + version
                                + " failed its integrity check (not written by this service); refused");
                    }
                    current = rs.getLong(1);
                }
            }
            long granted = Math.max(0, Math.min(block, limit - current));
            if (granted > 0) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE key_version_usage SET encryptions = ?, row_mac = ?"
                        + " WHERE namespace = ? AND name = ? AND version = ?")) {
                    ps.setLong(1, current + granted);
                    ps.setString(2, mac.usage(version.namespace(), version.id(), version.version(), current + granted).mac());
                    ps.setString(3, version.namespace());
                    ps.setString(4, version.id());
                    ps.setInt(5, version.version());
                    ps.executeUpdate();
                }
            }
            return new Reservation(current, granted);
        });
    }

    @Override
    public boolean ping() {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1");
                ResultSet rs = ps.executeQuery()) {
            return rs.next();
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public <T> Optional<T> runExclusive(String name, Supplier<T> task) {
        if (dialect == Dialect.SQLITE) {
            if (!localLock.tryLock()) {
                return Optional.empty();
            }
            try {
                return Optional.ofNullable(task.get());
            } finally {
                localLock.unlock();
            }
        }
        long lockId = name.hashCode() & 0xffffffffL | 0x4b4c000000000000L;
        try (Connection c = dataSource.getConnection()) {
            boolean got;
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, lockId);
                try (ResultSet rs = ps.executeQuery()) {
                    got = rs.next() && rs.getBoolean(1);
                }
            }
            if (!got) {
                return Optional.empty();
            }
            try {
                return Optional.ofNullable(task.get());
            } finally {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                    ps.setLong(1, lockId);
                    ps.executeQuery().close();
                }
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** Logs and reports a row that failed its MAC; the primary key only, made printable. */
    void refuse(String table, String row) {
        String safe = printable(row);
        LOG.error("row refused: its MAC does not verify (changed outside the service, or another master key) table={} row={}", table, safe);
        try {
            listener.refused(table, safe);
        } catch (RuntimeException e) {
            LOG.error("could not report the refused row table={} row={}", table, safe, e);
        }
    }

    private static String printable(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char ch = s.charAt(i);
            b.append(ch >= 0x20 && ch < 0x7f ? ch : '?');
        }
        return b.toString();
    }

    // ---- row MACs: the same bytes from a domain object (writes) and from a row (reads, migration)

    static RowMac.Row ringMac(RowMac mac, KeyRing r) {
        return mac.ring(r.name().namespace(), r.name().id(), r.algorithm().name(), r.state().name(), r.primaryVersion(),
                r.minDecryptionVersion(), r.rotationPeriod().toSeconds(), r.createdAt().toEpochMilli(), r.rotatedAt().toEpochMilli(),
                r.deletionAt().map(Instant::toEpochMilli).orElse(null), r.revision());
    }

    static RowMac.Row ringMac(RowMac mac, ResultSet rs) throws SQLException {
        return mac.ring(rs.getString("namespace"), rs.getString("name"), rs.getString("algorithm"), rs.getString("state"),
                rs.getLong("primary_version"), rs.getLong("min_decryption_version"), rs.getLong("rotation_period_seconds"),
                rs.getLong("created_at"), rs.getLong("rotated_at"), nullableLong(rs, "deletion_at"), rs.getLong("revision"));
    }

    static RowMac.Row versionMac(RowMac mac, KeyId ring, KeyVersion v) {
        return mac.version(ring.namespace(), ring.id(), v.version(), v.state().name(), v.createdAt().toEpochMilli(),
                v.deletionAt().map(Instant::toEpochMilli).orElse(null), v.wrappedMaterial().orElse(null));
    }

    static RowMac.Row versionMac(RowMac mac, ResultSet rs) throws SQLException {
        return mac.version(rs.getString("namespace"), rs.getString("name"), rs.getLong("version"), rs.getString("state"),
                rs.getLong("created_at"), nullableLong(rs, "deletion_at"), rs.getBytes("wrapped_material"));
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    // ---- plumbing

    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    <T> T inTransaction(SqlWork<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                if (!c.getAutoCommit()) {
                    c.commit();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            if (isUniqueViolation(e)) {
                // Two writers raced on a new version or ring: the caller retries with fresh state.
                throw new CryptoException(Reason.KEY_STATE_INVALID, "the key was changed concurrently; retry");
            }
            throw unavailable(e);
        }
    }

    private static CryptoException unavailable(SQLException e) {
        return new CryptoException(Reason.INTERNAL, "key store error: " + e.getMessage(), e);
    }

    private boolean isUniqueViolation(SQLException e) {
        String state = e.getSQLState();
        return "23505".equals(state) || (e.getMessage() != null && e.getMessage().contains("UNIQUE constraint failed"))
                || (e.getMessage() != null && e.getMessage().contains("PRIMARYKEY"));
    }

    private void bindRing(PreparedStatement ps, KeyRing ring, int i) throws SQLException {
        ps.setString(i, ring.name().namespace());
        ps.setString(i + 1, ring.name().id());
        ps.setString(i + 2, ring.algorithm().name());
        ps.setString(i + 3, ring.state().name());
        ps.setInt(i + 4, ring.primaryVersion());
        ps.setInt(i + 5, ring.minDecryptionVersion());
        ps.setLong(i + 6, ring.rotationPeriod().toSeconds());
        ps.setLong(i + 7, ring.createdAt().toEpochMilli());
        ps.setLong(i + 8, ring.rotatedAt().toEpochMilli());
        setNullableInstant(ps, i + 9, ring.deletionAt().orElse(null));
        ps.setLong(i + 10, ring.revision());
    }

    private static void setNullableInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, t.toEpochMilli());
        }
    }

    private static Instant nullableInstant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private void insertVersion(Connection c, KeyId ring, KeyVersion v) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO key_versions (namespace, name, version, state, created_at,"
                + " deletion_at, wrapped_material, row_mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, ring.namespace());
            ps.setString(2, ring.id());
            ps.setInt(3, v.version());
            ps.setString(4, v.state().name());
            ps.setLong(5, v.createdAt().toEpochMilli());
            setNullableInstant(ps, 6, v.deletionAt().orElse(null));
            ps.setBytes(7, v.wrappedMaterial().orElse(null));
            ps.setString(8, versionMac(mac, ring, v).mac());
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO key_version_usage (namespace, name, version, encryptions, row_mac)"
                + " VALUES (?, ?, ?, 0, ?)")) {
            ps.setString(1, ring.namespace());
            ps.setString(2, ring.id());
            ps.setInt(3, v.version());
            ps.setString(4, mac.usage(ring.namespace(), ring.id(), v.version(), 0).mac());
            ps.executeUpdate();
        }
    }

    /** The rings a query found whose rows all verify, and the names of those that did not (already reported). */
    private record Loaded(Map<String, KeyRing> rings, List<String> refused) { }

    private Loaded load(Connection c, String where, String... args) throws SQLException {
        record Row(KeyId name, KeyAlgorithm alg, KeyState state, int primary, int min, Duration period, Instant created,
                Instant rotated, Instant deletion, long revision) { }
        Map<String, Row> rows = new LinkedHashMap<>();
        java.util.Set<String> bad = new java.util.LinkedHashSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM key_rings r " + where + " ORDER BY r.namespace, r.name")) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String ringName = rs.getString("namespace") + "/" + rs.getString("name");
                    if (!ringMac(mac, rs).verify(rs.getString("row_mac"))) {
                        bad.add(ringName);
                        continue;
                    }
                    KeyId name = KeyId.of(rs.getString("namespace"), rs.getString("name"));
                    rows.put(name.ringName(), new Row(name, KeyAlgorithm.valueOf(rs.getString("algorithm")),
                            KeyState.valueOf(rs.getString("state")), rs.getInt("primary_version"), rs.getInt("min_decryption_version"),
                            Duration.ofSeconds(rs.getLong("rotation_period_seconds")), Instant.ofEpochMilli(rs.getLong("created_at")),
                            Instant.ofEpochMilli(rs.getLong("rotated_at")), nullableInstant(rs, "deletion_at"), rs.getLong("revision")));
                }
            }
        }
        Map<String, List<KeyVersion>> versions = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT v.* FROM key_versions v JOIN key_rings r"
                + " ON r.namespace = v.namespace AND r.name = v.name " + where + " ORDER BY v.namespace, v.name, v.version")) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String key = rs.getString("namespace") + "/" + rs.getString("name");
                    if (bad.contains(key)) {
                        continue;
                    }
                    if (!versionMac(mac, rs).verify(rs.getString("row_mac"))) {
                        bad.add(key);
                        continue;
                    }
                    versions.computeIfAbsent(key, k -> new ArrayList<>()).add(new KeyVersion(rs.getInt("version"),
                            KeyState.valueOf(rs.getString("state")), Instant.ofEpochMilli(rs.getLong("created_at")),
                            nullableInstant(rs, "deletion_at"), rs.getBytes("wrapped_material")));
                }
            }
        }
        Map<String, KeyRing> out = new LinkedHashMap<>();
        for (Row r : rows.values()) {
            if (bad.contains(r.name.ringName())) {
                continue;
            }
            // A rotation that raced ahead of this read may have inserted a version above the
            // primary we read: only versions up to the primary belong to this revision.
            List<KeyVersion> vs = versions.getOrDefault(r.name.ringName(), List.of()).stream()
                    .filter(v -> v.version() <= r.primary).toList();
            try {
                out.put(r.name.ringName(), new KeyRing(r.name, r.alg, r.state, r.primary, r.min, r.period, r.created, r.rotated,
                        r.deletion, r.revision, vs));
            } catch (IllegalArgumentException e) {
                // Every row verified, yet they do not fit together (a version row deleted).
                bad.add(r.name.ringName());
            }
        }
        for (String name : bad) {
            refuse("key_rings", name);
        }
        return new Loaded(out, List.copyOf(bad));
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
