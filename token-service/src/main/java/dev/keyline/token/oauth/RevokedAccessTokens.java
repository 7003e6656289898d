package dev.keyline.token.oauth;

import dev.keyline.token.storage.TokenStore;
import dev.keyline.token.storage.StorageIntegrityException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * The deny list of revoked access tokens (RFC 7009): {@code jti:<jti>} entries that expire when the
 * token would have, so the list never outgrows the tokens still alive. Introspection answers
 * {@code active: false} for them; self-contained JWTs checked offline by resource servers stay
 * valid until they expire, which is why access tokens are short-lived.
 */
public final class RevokedAccessTokens {
    private final TokenStore storage;

    public RevokedAccessTokens(TokenStore storage) {
        this.storage = Objects.requireNonNull(storage, "storage");
    }

    public void revoke(String jti, Instant expiresAt) {
        storage.put(new TokenStore.Put(key(jti), "revoked".getBytes(StandardCharsets.US_ASCII), expiresAt));
    }

    /** Whether {@code jti} is on the list; an entry that fails its integrity check counts as revoked (fail closed). */
    public boolean isRevoked(String jti) {
        try {
            return storage.get(key(jti)).isPresent();
        } catch (StorageIntegrityException e) {
            return true;
        }
    }

    private static String key(String jti) {
        return "jti:" + jti;
    }
}
