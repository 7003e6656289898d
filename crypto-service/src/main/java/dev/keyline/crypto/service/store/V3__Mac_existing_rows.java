package dev.keyline.crypto.service.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Computes the row MAC of every caller, key ring and key version that exists when a store is
 * upgraded to V2 (trust on upgrade: whatever the rows hold at that moment is taken as written by
 * the service), and starts every version's encryption count at 0. Runs once, as Flyway records;
 * afterwards a row without a valid MAC is refused, so clearing a MAC does not get a row re-MACed.
 *
 * <p>MACing existing rows needs the operator's word ({@code KEYLINE_STORE_TRUST_EXISTING_ROWS=true}):
 * Flyway's history is a table too, and a database writer who forges a row and deletes this
 * migration's history entry would otherwise have the forgery MAC'd at the next start. Without it a
 * store that holds rows is refused (an empty, new store needs nothing). The class name is Flyway's
 * naming scheme for Java migrations.
 */
final class V3__Mac_existing_rows extends BaseJavaMigration {
    static final String TRUST_SETTING = "KEYLINE_STORE_TRUST_EXISTING_ROWS";

    private final RowMac mac;
    private final boolean trustExistingRows;

    V3__Mac_existing_rows(RowMac mac, boolean trustExistingRows) {
        this.mac = mac;
        this.trustExistingRows = trustExistingRows;
    }

    @Override
    public void migrate(Context context) throws SQLException {
        Connection c = context.getConnection();
        long existing = count(c, "callers") + count(c, "key_rings") + count(c, "key_versions");
        if (existing > 0 && !trustExistingRows) {
            throw new IllegalStateException("the key store holds " + existing + " rows written without row MACs (a store from before"
                    + " them, or one whose migration history was edited); if you trust the database as it is now, start once with "
                    + TRUST_SETTING + "=true to MAC them");
        }
        remac(c, "callers", List.of("name"), rs -> mac.caller(rs.getString("name"), rs.getString("token_hash"), rs.getString("grants"),
                rs.getLong("created_at")).mac());
        remac(c, "key_rings", List.of("namespace", "name"), rs -> JdbcKeyStore.ringMac(mac, rs).mac());
        List<Object[]> versions = remac(c, "key_versions", List.of("namespace", "name", "version"),
                rs -> JdbcKeyStore.versionMac(mac, rs).mac());
        // Encryptions made before the upgrade were not counted: counting starts here.
        try (PreparedStatement usage = c.prepareStatement("INSERT INTO key_version_usage (namespace, name, version, encryptions, row_mac)"
                + " VALUES (?, ?, ?, 0, ?)")) {
            for (Object[] v : versions) {
                String namespace = (String) v[0];
                String name = (String) v[1];
                long version = ((Number) v[2]).longValue();
                usage.setString(1, namespace);
                usage.setString(2, name);
                usage.setLong(3, version);
                usage.setString(4, mac.usage(namespace, name, version, 0).mac());
                usage.executeUpdate();
            }
        }
    }

    /** A row's MAC, computed from the row {@code rs} is on. */
    @FunctionalInterface
    private interface RowMacOf {
        String of(ResultSet rs) throws SQLException;
    }

    /**
     * Sets {@code row_mac} of every row of {@code table} (read whole first, then updated by its
     * primary key {@code keys}); returns each row's key values.
     */
    private static List<Object[]> remac(Connection c, String table, List<String> keys, RowMacOf macOf) throws SQLException {
        List<Object[]> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + table); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Object[] row = new Object[keys.size() + 1];
                for (int k = 0; k < keys.size(); k++) {
                    row[k] = rs.getObject(keys.get(k));
                }
                row[keys.size()] = macOf.of(rs);
                rows.add(row);
            }
        }
        String where = String.join(" AND ", keys.stream().map(k -> k + " = ?").toList());
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET row_mac = ? WHERE " + where)) {
            for (Object[] row : rows) {
                ps.setString(1, (String) row[keys.size()]);
                for (int k = 0; k < keys.size(); k++) {
                    ps.setObject(k + 2, row[k]);
                }
                ps.executeUpdate();
            }
        }
        return rows;
    }

    private static long count(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }
}
