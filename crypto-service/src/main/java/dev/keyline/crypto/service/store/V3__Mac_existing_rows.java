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
        List<Object[]> updates = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT name, token_hash, grants, created_at FROM callers");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                updates.add(new Object[] {mac.caller(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)).mac(), rs.getString(1)});
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE callers SET row_mac = ? WHERE name = ?")) {
            for (Object[] u : updates) {
                ps.setString(1, (String) u[0]);
                ps.setString(2, (String) u[1]);
                ps.executeUpdate();
            }
        }
        updates.clear();
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM key_rings"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                updates.add(new Object[] {JdbcKeyStore.ringMac(mac, rs).mac(), rs.getString("namespace"), rs.getString("name")});
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE key_rings SET row_mac = ? WHERE namespace = ? AND name = ?")) {
            for (Object[] u : updates) {
                ps.setString(1, (String) u[0]);
                ps.setString(2, (String) u[1]);
                ps.setString(3, (String) u[2]);
                ps.executeUpdate();
            }
        }
        updates.clear();
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM key_versions"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                updates.add(new Object[] {JdbcKeyStore.versionMac(mac, rs).mac(), rs.getString("namespace"), rs.getString("name"),
                    rs.getLong("version")});
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE key_versions SET row_mac = ? WHERE namespace = ? AND name = ? AND version = ?");
                PreparedStatement usage = c.prepareStatement("INSERT INTO key_version_usage (namespace, name, version, encryptions, row_mac)"
                        + " VALUES (?, ?, ?, 0, ?)")) {
            for (Object[] u : updates) {
                ps.setString(1, (String) u[0]);
                ps.setString(2, (String) u[1]);
                ps.setString(3, (String) u[2]);
                ps.setLong(4, (Long) u[3]);
                ps.executeUpdate();
                // Encryptions made before the upgrade were not counted: counting starts here.
                usage.setString(1, (String) u[1]);
                usage.setString(2, (String) u[2]);
                usage.setLong(3, (Long) u[3]);
                usage.setString(4, mac.usage((String) u[1], (String) u[2], (Long) u[3], 0).mac());
                usage.executeUpdate();
            }
        }
    }

    private static long count(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }
}
