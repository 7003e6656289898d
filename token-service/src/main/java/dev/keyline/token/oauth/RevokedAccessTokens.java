package dev.keyline.token.oauth;

import dev.keyline.token.storage.CacheStorage;
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
    private final CacheStorage storage;

    public RevokedAccessTokens(CacheStorage storage) {
        this.storage = Objects.requireNonNull(storage, "storage");
    }

    public void revoke(String jti, Instant expiresAt) {
        storage.put(new CacheStorage.Put(key(jti), "revoked".getBytes(StandardCharsets.US_ASCII), expiresAt));
    }

    public boolean isRevoked(String jti) {
        return storage.get(key(jti)).isPresent();
    }

    private static String key(String jti) {
        return "jti:" + jti;
    }
}
