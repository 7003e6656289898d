package dev.keyline.iam.signing;

/**
 * What a decision signature covers: the seed's seven fields alone (format version 1, verified but
 * no longer signed) or bound to the request, caller, policy version and validity (version 2).
 */
public sealed interface SignedClaims permits DecisionClaims, BoundDecisionClaims {

    /** The exact bytes that are signed (RFC 8785 JCS of the members; see docs/signed-decisions.md). */
    byte[] canonicalPayload();

    /** The seven seed fields. */
    DecisionClaims seed();
}
