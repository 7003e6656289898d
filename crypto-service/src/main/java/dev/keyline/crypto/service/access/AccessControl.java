package dev.keyline.crypto.service.access;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Bearer tokens → callers. Tokens are 256-bit random values shown once at creation; only their
 * SHA-256 is stored, so a stolen database yields no usable token. A lookup is by hash, which
 * takes no time that depends on how much of a guessed token is right.
 */
public final class AccessControl {
    public static final String TOKEN_PREFIX = "kl_";

    private final CallerStore store;
    private final SecureRandom random;
    private final InstantSource clock;
    private final Cache<String, Caller> cache;

    public AccessControl(CallerStore store, SecureRandom random, InstantSource clock, Duration cacheTtl) {
        this.store = store;
        this.random = random;
        this.clock = clock;
        this.cache = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(cacheTtl).build();
    }

    /** The caller a token belongs to, or UNAUTHENTICATED. */
    public Caller authenticate(String token) {
        if (token == null || token.isEmpty()) {
            throw new CryptoException(Reason.UNAUTHENTICATED, "missing bearer token");
        }
        String hash = hash(token);
        Caller cached = cache.getIfPresent(hash);
        if (cached != null) {
            return cached;
        }
        // Unknown tokens are not cached, so a caller created a moment ago (by another process on
        // the same store) is accepted at once; known ones are, to keep the store off the hot path.
        Caller caller = store.findCallerByTokenHash(hash)
                .orElseThrow(() -> new CryptoException(Reason.UNAUTHENTICATED, "unknown bearer token"));
        cache.put(hash, caller);
        return caller;
    }

    /** Creates (or replaces the token of) a caller and returns the new token, which is shown only now. */
    public IssuedToken issue(String name, List<Grant> grants) {
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Caller caller = new Caller(name, grants, clock.instant());
        store.saveCaller(caller, hash(token));
        cache.invalidateAll();
        return new IssuedToken(caller, token);
    }

    public List<Caller> list() {
        return store.listCallers();
    }

    public boolean revoke(String name) {
        boolean removed = store.deleteCaller(name);
        cache.invalidateAll();
        return removed;
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A caller together with its freshly created token. */
    public record IssuedToken(Caller caller, String token) {
        @Override
        public String toString() {
            return "IssuedToken[" + caller.name() + ", token redacted]";
        }
    }
}
