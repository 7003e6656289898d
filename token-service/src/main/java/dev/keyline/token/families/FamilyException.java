package dev.keyline.token.families;

/**
 * A refresh token that cannot be redeemed. Every reason is {@code invalid_grant} to the client
 * (RFC 6749 §5.2); the reason is for metrics and logs.
 */
public final class FamilyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a refresh token was refused. */
    public enum Reason {
        /** Not a token of this service, or its family has expired and is gone. */
        UNKNOWN,
        /** Presented by another client than the one the family belongs to. */
        CLIENT_MISMATCH,
        /** Already used: the family has been revoked. */
        REUSED,
        /** The family was revoked before. */
        REVOKED,
        /** The family's absolute lifetime is over. */
        EXPIRED,
        /** Too many concurrent changes to the family; the client may retry. */
        CONTENDED,
        /**
         * The stored family (or the token's index entry) failed its integrity check: tampered,
         * copied from another family, or rolled back to an earlier state (for instance to before a
         * revocation). The family is treated as revoked.
         */
        TAMPERED
    }

    private final Reason reason;

    public FamilyException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
