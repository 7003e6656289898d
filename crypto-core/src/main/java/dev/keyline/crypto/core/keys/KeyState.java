package dev.keyline.crypto.core.keys;

/** The lifecycle state of a key or of one of its versions. */
public enum KeyState {
    /** Usable for every operation its algorithm allows. */
    ENABLED,
    /** Temporarily unusable; can be enabled again. */
    DISABLED,
    /** Unusable and scheduled for destruction; the schedule can be cancelled until its date. */
    PENDING_DELETION,
    /** Material erased; only the metadata remains. Final. */
    DESTROYED;

    public boolean usable() {
        return this == ENABLED;
    }

    /** Whether a transition from this state to {@code next} is allowed. */
    public boolean canMoveTo(KeyState next) {
        return switch (this) {
            case ENABLED -> next == DISABLED || next == PENDING_DELETION || next == ENABLED;
            case DISABLED -> next == ENABLED || next == PENDING_DELETION || next == DISABLED;
            case PENDING_DELETION -> next == DISABLED || next == DESTROYED || next == PENDING_DELETION;
            case DESTROYED -> next == DESTROYED;
        };
    }
}
