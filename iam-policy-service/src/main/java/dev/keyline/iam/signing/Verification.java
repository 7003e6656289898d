package dev.keyline.iam.signing;

import dev.keyline.crypto.core.keys.KeyId;
import java.util.Objects;
import java.util.Optional;

/** The answer to "is this a decision we signed?". */
public sealed interface Verification {

    boolean valid();

    /** Empty when valid; else one of the contract's error codes. */
    Optional<String> reason();

    /** The signature is a valid signature of exactly these claims by {@code keyId}. */
    record Valid(KeyId keyId) implements Verification {
        @Override
        public boolean valid() {
            return true;
        }

        @Override
        public Optional<String> reason() {
            return Optional.empty();
        }
    }

    /**
     * Not verified. {@code code} is {@code SIGNATURE_INVALID} (changed claims or signature, or a
     * key that is not a decision-signing key), {@code KEY_STATE_INVALID} (the version was disabled
     * or is below the key's minimum), {@code DECISION_EXPIRED} (a version 2 decision past its
     * {@code exp}), {@code REQUEST_MISMATCH} (the decision answers another request than the one
     * given) or {@code CRYPTO_SERVICE_UNAVAILABLE} (the public key is not
     * known here and the service cannot be asked: try again later).
     */
    record Invalid(String code, String detail) implements Verification {
        public Invalid {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public boolean valid() {
            return false;
        }

        @Override
        public Optional<String> reason() {
            return Optional.of(code);
        }
    }
}
