package dev.keyline.iam.authorizer;

import dev.keyline.iam.decision.Decision;
import dev.keyline.iam.signing.BoundDecisionClaims;
import dev.keyline.iam.signing.SignedDecision;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to one authorization request.
 *
 * @param cached whether the evaluation came from the decision cache (the decision itself is new)
 * @param level {@code "l1"}, {@code "l2"} or {@code ""} when not cached
 * @param signed the signature, when signing is on and the crypto service signed
 * @param claims what a signature covers (format version 2), also returned with unsigned decisions
 */
public record AuthorizationOutcome(Decision decision, boolean cached, String level, Optional<SignedDecision> signed, BoundDecisionClaims claims) {
    public AuthorizationOutcome {
        Objects.requireNonNull(claims, "claims");
        Objects.requireNonNull(decision, "decision");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(signed, "signed");
    }
}
