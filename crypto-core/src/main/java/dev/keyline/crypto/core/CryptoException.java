package dev.keyline.crypto.core;

import java.util.Objects;

/**
 * The one exception of Keyline's cryptography boundary. {@link #reason()} is a closed set shared
 * by the service, the client and the gRPC contract ({@code google.rpc.ErrorInfo.reason}).
 * Messages never contain key material, plaintext or tokens.
 */
public final class CryptoException extends RuntimeException {
    private final Reason reason;
    private final String correlationId;

    public CryptoException(Reason reason, String message) {
        this(reason, message, "", null);
    }

    public CryptoException(Reason reason, String message, Throwable cause) {
        this(reason, message, "", cause);
    }

    public CryptoException(Reason reason, String message, String correlationId, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.correlationId = correlationId == null ? "" : correlationId;
    }

    public Reason reason() {
        return reason;
    }

    /** The correlation id of the request that failed, or empty when none was known. */
    public String correlationId() {
        return correlationId;
    }

    /** A copy of this exception that carries {@code id} as its correlation id. */
    public CryptoException withCorrelationId(String id) {
        return new CryptoException(reason, getMessage(), id, getCause());
    }

    @Override
    public String toString() {
        return "CryptoException[" + reason + (correlationId.isEmpty() ? "" : ", correlation_id=" + correlationId)
                + "]: " + getMessage();
    }

    /** Reason codes; the names are part of the public contract (ErrorInfo reasons). */
    public enum Reason {
        ENCRYPTION_FAILED,
        DECRYPTION_FAILED,
        SIGNATURE_FAILED,
        SIGNATURE_INVALID,
        KEY_NOT_FOUND,
        KEY_STATE_INVALID,
        ALGORITHM_MISMATCH,
        /**
         * Kept for the seeds' contract; no Keyline operation raises it. AES-GCM authenticates the
         * AAD and the ciphertext with one tag, so a wrong AAD cannot be told from a tampered
         * ciphertext: both are {@link #DECRYPTION_FAILED}, with the same message. Telling them
         * apart would need an AAD digest beside the ciphertext, an offline guessing oracle for
         * low-entropy AADs (subject and resource ids) that also tells an attacker which part they
         * changed; AWS KMS and Tink do not either. Callers that must tell a "wrong context" miss
         * from tampering compare the context they stored in clear before decrypting.
         */
        AAD_MISMATCH,
        CRYPTO_SERVICE_UNAVAILABLE,
        RATE_LIMITED,
        PERMISSION_DENIED,
        INVALID_ARGUMENT,
        INVALID_CONFIG,
        /** The caller presented no credentials or unknown ones. */
        UNAUTHENTICATED,
        /** A bug or an environment failure, never a caller's mistake. */
        INTERNAL
    }
}
