package dev.keyline.token.families;

import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.token.storage.TokenStore;
import dev.keyline.token.storage.TokenStore.Put;
import dev.keyline.token.storage.TokenStore.Stored;
import dev.keyline.token.storage.StorageIntegrityException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refresh-token families in a {@link TokenStore} (RFC 9700 refresh-token rotation with reuse
 * detection).
 *
 * <p>A refresh token is 256 random bits, base64url. It is never stored: the storage holds
 * {@code rt:<HMAC-SHA256(token)>} → {@code familyId, generation}, and the family record under the
 * family id. Both expire with the family (its absolute expiry), so in Redis the TTL ends them.
 *
 * <p>A refresh is one compare-and-set on the family record's version, which also writes the new
 * token's index entry: of N concurrent refreshes of one token exactly one rotates the family. The
 * others then see an older generation than the family's — a used token — and revoke the family,
 * as does any later presentation of a used token; each revocation for reuse counts
 * {@code keyline_token_refresh_reuse_total} and writes one audit line (logger
 * {@code dev.keyline.token.audit}). A grace for the immediate predecessor can be configured (off by
 * default): within it, the previous token gets the current child back instead.
 */
public final class TokenFamilies {
    private static final Logger AUDIT = LoggerFactory.getLogger("dev.keyline.token.audit");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{43}");
    private static final int MAX_CAS_ATTEMPTS = 16;

    /** A family and the refresh token that redeems it now. Print neither the token nor the claims. */
    public record Issued(TokenFamily family, String refreshToken) {
        @Override
        public String toString() {
            return "Issued[" + family + ", token redacted]";
        }
    }

    private final TokenStore storage;
    private final HmacSha256 tokenMac;
    private final InstantSource clock;
    private final SecureRandom random;
    private final Duration reuseGrace;
    private final MeterRegistry meters;
    private final Counter reuse;
    private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();

    /**
     * @param tokenMac the HMAC key refresh tokens are stored under; every replica sharing the
     *     storage must use the same key
     * @param reuseGrace {@link Duration#ZERO} (the default) for strict reuse detection
     */
    public TokenFamilies(TokenStore storage, HmacSha256 tokenMac, InstantSource clock, SecureRandom random, Duration reuseGrace,
            MeterRegistry meters) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.tokenMac = Objects.requireNonNull(tokenMac, "tokenMac");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.reuseGrace = Objects.requireNonNull(reuseGrace, "reuseGrace");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.reuse = Counter.builder("keyline_token_refresh_reuse_total")
                .description("refresh tokens presented again after use; each revoked its family").register(meters);
    }

    /** Starts a family at generation 1 and returns its first refresh token. */
    public Issued start(String subject, String clientId, String scope, List<String> audience, Map<String, Object> extraClaims,
            Duration lifetime) {
        Instant now = clock.instant();
        TokenFamily family = TokenFamily.start(newFamilyId(), subject, clientId, scope, audience, extraClaims, now, lifetime);
        String token = newToken();
        TokenFamily stored = reuseGrace.isZero() ? family : family.withChild(token);
        if (!storage.compareAndSet(put(stored), 0, List.of(indexPut(token, family)))) {
            throw new IllegalStateException("family id collision");
        }
        count("started");
        return new Issued(family, token);
    }

    /** What a refresh produced: the family one generation on, its new refresh token, and what {@code beforeCommit} made. */
    public record Refreshed<R>(Issued issued, R result) { }

    /**
     * Redeems {@code refreshToken} for {@code clientId}: the family one generation on and its new
     * refresh token. Throws {@link FamilyException} (always {@code invalid_grant} to the client).
     */
    public Issued refresh(String refreshToken, String clientId) {
        return refresh(refreshToken, clientId, f -> Boolean.TRUE).issued();
    }

    /**
     * Like {@link #refresh(String, String)}, but first runs {@code beforeCommit} on the family as it
     * will be after the refresh (typically: sign the new access token) and rotates the family only
     * if that succeeded. A failure there (the crypto service is down) leaves the presented token
     * valid, so the client can retry instead of tripping reuse detection with it.
     */
    public <R> Refreshed<R> refresh(String refreshToken, String clientId, java.util.function.Function<TokenFamily, R> beforeCommit) {
        Optional<Located> located = locate(refreshToken);
        if (located.isEmpty()) {
            count("unknown");
            throw new FamilyException(FamilyException.Reason.UNKNOWN, "unknown or expired refresh token");
        }
        String familyId = located.get().familyId;
        long generation = located.get().generation;
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            Optional<Stored> stored = read(familyId, clientId);
            if (stored.isEmpty()) {
                count("unknown");
                throw new FamilyException(FamilyException.Reason.UNKNOWN, "the token family has expired");
            }
            TokenFamily family = FamilyCodec.decode(stored.get().value());
            if (!family.clientId().equals(clientId)) {
                count("client_mismatch");
                throw new FamilyException(FamilyException.Reason.CLIENT_MISMATCH, "the refresh token belongs to another client");
            }
            Instant now = clock.instant();
            switch (family.redeem(generation, now, reuseGrace)) {
                case TokenFamily.Dead d -> {
                    count(d.reason().name().toLowerCase(java.util.Locale.ROOT));
                    throw new FamilyException(d.reason(), "the token family is " + d.reason().name().toLowerCase(java.util.Locale.ROOT));
                }
                case TokenFamily.Grace g -> {
                    R result = beforeCommit.apply(g.current());
                    count("grace");
                    return new Refreshed<>(new Issued(g.current(), g.current().previousChild()), result);
                }
                case TokenFamily.Rotate r -> {
                    R result = beforeCommit.apply(r.next());
                    String token = newToken();
                    TokenFamily next = reuseGrace.isZero() ? r.next() : r.next().withChild(token);
                    if (compareAndSet(put(next), stored.get().version(), List.of(indexPut(token, next)), clientId)) {
                        count("rotated");
                        return new Refreshed<>(new Issued(r.next(), token), result);
                    }
                    // Someone changed the family since we read it: read again and decide again.
                }
                case TokenFamily.Reused u -> {
                    if (compareAndSet(put(u.revoked()), stored.get().version(), List.of(), clientId)) {
                        reuse.increment();
                        count("reused");
                        AUDIT.atWarn().addKeyValue("event", "refresh_token_reuse").addKeyValue("family_id", familyId)
                                .addKeyValue("client_id", clientId).addKeyValue("presented_generation", generation)
                                .addKeyValue("current_generation", family.generation()).addKeyValue("action", "family_revoked")
                                .log("refresh token reused; revoked its whole family");
                        throw new FamilyException(FamilyException.Reason.REUSED, "the refresh token was already used; its family is revoked");
                    }
                }
            }
        }
        count("contended");
        throw new FamilyException(FamilyException.Reason.CONTENDED, "the token family changed too often; retry");
    }

    /**
     * Revokes the family of {@code refreshToken} when it belongs to {@code clientId}; returns
     * whether a family was revoked now (false for unknown tokens, other clients' tokens and families
     * already revoked).
     */
    public boolean revoke(String refreshToken, String clientId) {
        Optional<Located> located = locate(refreshToken);
        if (located.isEmpty()) {
            return false;
        }
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            Optional<Stored> stored;
            try {
                stored = read(located.get().familyId, clientId);
            } catch (FamilyException e) {
                return false; // already unusable; read() logged it
            }
            if (stored.isEmpty()) {
                return false;
            }
            TokenFamily family = FamilyCodec.decode(stored.get().value());
            if (!family.clientId().equals(clientId) || family.revoked()) {
                return false;
            }
            if (compareAndSet(put(family.revoke("revoked by the client")), stored.get().version(), List.of(), clientId)) {
                count("revoked_by_client");
                AUDIT.atInfo().addKeyValue("event", "refresh_token_revoked").addKeyValue("family_id", family.familyId())
                        .addKeyValue("client_id", clientId).log("token family revoked by its client");
                return true;
            }
        }
        throw new FamilyException(FamilyException.Reason.CONTENDED, "the token family changed too often; retry");
    }

    /**
     * The family of {@code refreshToken} and whether the token is its newest, live generation (for
     * introspection); empty for unknown tokens.
     */
    public Optional<Inspection> inspect(String refreshToken) {
        Optional<Located> located;
        Optional<Stored> stored;
        try {
            located = locate(refreshToken);
            if (located.isEmpty()) {
                return Optional.empty();
            }
            stored = read(located.get().familyId, "");
        } catch (FamilyException e) {
            return Optional.empty(); // tampered: as good as unknown, and inactive
        }
        return stored.map(s -> {
            TokenFamily f = FamilyCodec.decode(s.value());
            return new Inspection(f, f.isActive(located.get().generation, clock.instant()));
        });
    }

    /** What {@link #inspect} found. */
    public record Inspection(TokenFamily family, boolean active) { }

    /**
     * The stored family record (tests and operators); a record that fails its integrity check
     * throws {@link FamilyException} with {@link FamilyException.Reason#TAMPERED}.
     */
    public Optional<TokenFamily> family(String familyId) {
        return read(familyId, "").map(s -> FamilyCodec.decode(s.value()));
    }

    /**
     * Reads a family record. One that fails its integrity check — the ciphertext does not
     * authenticate under its family id and version, or the version differs from the storage's
     * witness (an old record written back, say to undo a revocation) — is refused: the family is
     * treated as revoked, and one audit line says so (ids only, never tokens or claims).
     */
    private Optional<Stored> read(String familyId, String clientId) {
        try {
            return storage.get(familyId);
        } catch (StorageIntegrityException e) {
            throw tampered(familyId, clientId, e);
        }
    }

    private boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite, String clientId) {
        try {
            return storage.compareAndSet(write, expectedVersion, alsoWrite);
        } catch (StorageIntegrityException e) {
            throw tampered(write.key(), clientId, e);
        }
    }

    private FamilyException tampered(String key, String clientId, StorageIntegrityException e) {
        count("tampered");
        AUDIT.atError().addKeyValue("event", "token_family_integrity_failure").addKeyValue("family_id", key)
                .addKeyValue("client_id", clientId).addKeyValue("action", "refused").addKeyValue("detail", e.getMessage())
                .log("a stored token family failed its integrity check (tampered or rolled back); refusing it");
        return new FamilyException(FamilyException.Reason.TAMPERED, "the token family record failed its integrity check");
    }

    private record Located(String familyId, long generation) { }

    private Optional<Located> locate(String refreshToken) {
        if (refreshToken == null || !TOKEN.matcher(refreshToken).matches()) {
            return Optional.empty();
        }
        String indexKey = indexKey(refreshToken);
        Optional<Stored> entry;
        try {
            entry = storage.get(indexKey);
        } catch (StorageIntegrityException e) {
            throw tampered("(refresh-token index entry)", "", e);
        }
        return entry.flatMap(s -> {
            String text = new String(s.value(), StandardCharsets.US_ASCII);
            int nl = text.indexOf('\n');
            if (nl < 1) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Located(text.substring(0, nl), Long.parseLong(text.substring(nl + 1))));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private Put put(TokenFamily f) {
        return new Put(f.familyId(), FamilyCodec.encode(f), f.expiresAt());
    }

    private Put indexPut(String token, TokenFamily f) {
        return new Put(indexKey(token), (f.familyId() + "\n" + f.generation()).getBytes(StandardCharsets.US_ASCII), f.expiresAt());
    }

    private String indexKey(String token) {
        byte[] mac = tokenMac.compute(token.getBytes(StandardCharsets.US_ASCII));
        return "rt:" + Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
    }

    private String newToken() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private String newFamilyId() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return "fam_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, o -> Counter.builder("keyline_token_refresh_total")
                .description("refresh-token operations by outcome").tag("outcome", o).register(meters)).increment();
    }
}
