package dev.keyline.crypto.service.store;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.service.access.Caller;
import dev.keyline.crypto.service.access.CallerStore;
import dev.keyline.crypto.service.access.Grant;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The callers table of a {@link JdbcKeyStore}'s database: name, SHA-256 of the token, grants,
 * creation time, and a row MAC under the master key, so a row written or edited outside the
 * service (a forged caller, widened grants, a swapped token hash) is refused, reported, and never
 * authenticates. Shares the key store's connection pool and transactions.
 */
public final class JdbcCallerStore implements CallerStore {
    private final JdbcKeyStore store;
    private final RowMac mac;

    JdbcCallerStore(JdbcKeyStore store, RowMac mac) {
        this.store = store;
        this.mac = mac;
    }

    @Override
    public void saveCaller(Caller caller, String tokenHash) {
        store.inTransaction(c -> {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM callers WHERE name = ?")) {
                del.setString(1, caller.name());
                del.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO callers (name, token_hash, grants, created_at, row_mac)"
                    + " VALUES (?, ?, ?, ?, ?)")) {
                String grants = Grant.formatList(caller.grants());
                ps.setString(1, caller.name());
                ps.setString(2, tokenHash);
                ps.setString(3, grants);
                ps.setLong(4, caller.createdAt().toEpochMilli());
                ps.setString(5, mac.caller(caller.name(), tokenHash, grants, caller.createdAt().toEpochMilli()).mac());
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<Caller> findCallerByTokenHash(String tokenHash) {
        return store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name, token_hash, grants, created_at, row_mac FROM callers WHERE token_hash = ?")) {
                ps.setString(1, tokenHash);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Caller>empty();
                    }
                    Optional<Caller> caller = verifiedCaller(rs);
                    if (caller.isEmpty()) {
                        throw new CryptoException(Reason.PERMISSION_DENIED,
                                "the caller record of this token failed its integrity check (not written by this service); refused");
                    }
                    return caller;
                }
            }
        });
    }

    @Override
    public List<Caller> listCallers() {
        return store.inTransaction(c -> {
            List<Caller> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT name, token_hash, grants, created_at, row_mac FROM callers ORDER BY name");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    verifiedCaller(rs).ifPresent(out::add);
                }
            }
            return out;
        });
    }

    @Override
    public boolean deleteCaller(String name) {
        return store.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM callers WHERE name = ?")) {
                ps.setString(1, name);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /** The caller of a row (name, token_hash, grants, created_at, row_mac); empty, reported, when its MAC fails. */
    private Optional<Caller> verifiedCaller(ResultSet rs) throws SQLException {
        String name = rs.getString(1);
        if (!mac.caller(name, rs.getString(2), rs.getString(3), rs.getLong(4)).verify(rs.getString(5))) {
            store.refuse("callers", name);
            return Optional.empty();
        }
        return Optional.of(new Caller(name, Grant.parseList(rs.getString(3)), Instant.ofEpochMilli(rs.getLong(4))));
    }
}
