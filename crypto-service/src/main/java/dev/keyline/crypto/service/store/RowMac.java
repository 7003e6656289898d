package dev.keyline.crypto.service.store;

import dev.keyline.crypto.core.mac.HmacSha256;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Authenticates the database rows that decide what a caller or a key may do (callers, key rings,
 * key versions, encryption counts) with HMAC-SHA256 under a subkey of the master key
 * ({@code HMAC(master, "keyline/row-mac/v1")}). The MAC input starts with the table and the row's
 * primary key, then every column, each length-prefixed, so a MAC neither fits another row nor
 * another split of the same bytes into columns.
 *
 * <p>What it proves: the service (holder of the master key) wrote this row's content under this
 * primary key. What it cannot prove: that the row is the latest one the service wrote; a database
 * writer can still put back an older row with its MAC (rollback) or delete rows.
 */
public final class RowMac {
    /**
     * Told about every row that fails its MAC (table and primary key, never other columns), so it
     * can be audited; the store refuses the row whatever the listener does.
     */
    @FunctionalInterface
    public interface Listener {
        void refused(String table, String row);

        /** Only the store's own log line. */
        Listener NONE = (table, row) -> { };
    }

    static final String LABEL = "keyline/row-mac/v1";

    private final HmacSha256 mac;

    RowMac(HmacSha256 mac) {
        this.mac = mac;
    }

    /** Builds the MAC input of one row: table, then columns in a fixed order. */
    final class Row {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

        private Row(String table) {
            text(table);
        }

        Row text(String s) {
            return bytes(s == null ? null : s.getBytes(StandardCharsets.UTF_8));
        }

        Row number(long v) {
            out.write(1);
            for (int i = 7; i >= 0; i--) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        /** A nullable number (deletion dates). */
        Row number(Long v) {
            if (v == null) {
                out.write(0);
                return this;
            }
            return number(v.longValue());
        }

        Row bytes(byte[] b) {
            if (b == null) {
                out.write(0);
                return this;
            }
            out.write(2);
            int n = b.length;
            out.write(n >>> 24);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
            out.writeBytes(b);
            return this;
        }

        /** The MAC, lower-case hex, as the {@code row_mac} columns hold it. */
        String mac() {
            return HexFormat.of().formatHex(mac.compute(out.toByteArray()));
        }

        /** Whether {@code stored} is this row's MAC; constant time in the MAC's bytes. */
        boolean verify(String stored) {
            if (stored == null || stored.length() != 2 * HmacSha256.TAG_BYTES) {
                return false;
            }
            byte[] tag;
            try {
                tag = HexFormat.of().parseHex(stored);
            } catch (IllegalArgumentException e) {
                return false;
            }
            return mac.verify(out.toByteArray(), tag);
        }
    }

    Row caller(String name, String tokenHash, String grants, long createdAt) {
        return new Row("callers").text(name).text(tokenHash).text(grants).number(createdAt);
    }

    Row ring(String namespace, String name, String algorithm, String state, long primaryVersion, long minDecryptionVersion,
            long rotationPeriodSeconds, long createdAt, long rotatedAt, Long deletionAt, long revision) {
        return new Row("key_rings").text(namespace).text(name).text(algorithm).text(state).number(primaryVersion)
                .number(minDecryptionVersion).number(rotationPeriodSeconds).number(createdAt).number(rotatedAt).number(deletionAt)
                .number(revision);
    }

    Row version(String namespace, String name, long version, String state, long createdAt, Long deletionAt, byte[] wrappedMaterial) {
        return new Row("key_versions").text(namespace).text(name).number(version).text(state).number(createdAt).number(deletionAt)
                .bytes(wrappedMaterial);
    }

    Row usage(String namespace, String name, long version, long encryptions) {
        return new Row("key_version_usage").text(namespace).text(name).number(version).number(encryptions);
    }

    @Override
    public String toString() {
        return "RowMac[redacted]";
    }
}
