package dev.keyline.token.families;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A refresh-token family (RFC 9700 §4.14): every refresh token descended from one login, of which
 * only the newest — generation {@link #generation()} — may be redeemed. The record is stored
 * encrypted (it holds the subject and claims); the tokens themselves are never stored, only their
 * HMACs.
 *
 * @param familyId random id, also the AAD of the encrypted record
 * @param audience audience of the access tokens issued from this family
 * @param extraClaims further access-token claims given when the family started
 * @param generation generation of the newest refresh token; starts at 1
 * @param expiresAt absolute expiry: no refresh after it, however recent the last one
 * @param rotatedAt when the newest generation was issued
 * @param previousChild the newest refresh token, kept (encrypted) only when a reuse grace is on, so
 *     a retry of the previous token within the grace gets the same token back; empty otherwise
 */
public record TokenFamily(String familyId, String subject, String clientId, String scope, List<String> audience,
        Map<String, Object> extraClaims, long generation, Instant createdAt, Instant expiresAt, Instant rotatedAt, boolean revoked,
        String revokedReason, String previousChild) {

    public TokenFamily {
        Objects.requireNonNull(familyId, "familyId");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(scope, "scope");
        audience = List.copyOf(audience);
        extraClaims = Map.copyOf(extraClaims);
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(rotatedAt, "rotatedAt");
        revokedReason = revokedReason == null ? "" : revokedReason;
        previousChild = previousChild == null ? "" : previousChild;
        if (generation < 1) {
            throw new IllegalArgumentException("generation must be at least 1");
        }
        if (!expiresAt.isAfter(createdAt)) {
            throw new IllegalArgumentException("expiresAt must be after createdAt");
        }
    }

    /** A new family at generation 1. */
    public static TokenFamily start(String familyId, String subject, String clientId, String scope, List<String> audience,
            Map<String, Object> extraClaims, Instant now, Duration lifetime) {
        // Stored with millisecond precision: keep the in-memory value equal to what is read back.
        Instant t = now.truncatedTo(ChronoUnit.MILLIS);
        return new TokenFamily(familyId, subject, clientId, scope, audience, extraClaims, 1, t, t.plus(lifetime.truncatedTo(ChronoUnit.MILLIS)), t,
                false, "", "");
    }

    /** What presenting a refresh token of some generation leads to. */
    public sealed interface Redemption permits Rotate, Reused, Grace, Dead { }

    /** The token was the newest: the family moves to {@code next} (one generation on). */
    public record Rotate(TokenFamily next) implements Redemption { }

    /** The token was already used: the family is revoked ({@code revoked}) and nothing is issued. */
    public record Reused(TokenFamily revoked) implements Redemption { }

    /** The immediate predecessor, retried within the grace: answer with the current child again. */
    public record Grace(TokenFamily current) implements Redemption { }

    /** The family is revoked or expired: nothing is issued and nothing changes. */
    public record Dead(FamilyException.Reason reason) implements Redemption { }

    /**
     * Decides what presenting the refresh token of {@code presentedGeneration} at {@code now}
     * does. Only the newest generation rotates; an older one is reuse and revokes the whole family
     * — unless it is the immediate predecessor, presented within {@code grace} of the rotation,
     * and the family kept that child ({@link #previousChild}).
     */
    public Redemption redeem(long presentedGeneration, Instant now, Duration grace) {
        if (revoked) {
            return new Dead(FamilyException.Reason.REVOKED);
        }
        if (!now.isBefore(expiresAt)) {
            return new Dead(FamilyException.Reason.EXPIRED);
        }
        if (presentedGeneration == generation) {
            return new Rotate(new TokenFamily(familyId, subject, clientId, scope, audience, extraClaims, generation + 1, createdAt,
                    expiresAt, now.truncatedTo(ChronoUnit.MILLIS), false, "", ""));
        }
        if (presentedGeneration == generation - 1 && !grace.isZero() && !previousChild.isEmpty()
                && now.isBefore(rotatedAt.plus(grace))) {
            return new Grace(this);
        }
        return new Reused(revoke("refresh token reuse (generation " + presentedGeneration + " presented, newest is " + generation + ")"));
    }

    /** This family, revoked. */
    public TokenFamily revoke(String reason) {
        return new TokenFamily(familyId, subject, clientId, scope, audience, extraClaims, generation, createdAt, expiresAt, rotatedAt, true,
                reason, "");
    }

    /** This family remembering its newest refresh token (only with a reuse grace). */
    TokenFamily withChild(String child) {
        return new TokenFamily(familyId, subject, clientId, scope, audience, extraClaims, generation, createdAt, expiresAt, rotatedAt,
                revoked, revokedReason, child);
    }

    /** Whether a refresh token of {@code presentedGeneration} is redeemable at {@code now}. */
    public boolean isActive(long presentedGeneration, Instant now) {
        return !revoked && now.isBefore(expiresAt) && presentedGeneration == generation;
    }

    @Override
    public String toString() {
        return "TokenFamily[" + familyId + ", client=" + clientId + ", generation=" + generation + (revoked ? ", revoked" : "") + "]";
    }
}
