package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.signing.EcdsaSignatures;
import java.util.Arrays;
import java.util.Objects;

/**
 * A signature (or HMAC tag) and the concrete key version that made it. ECDSA signatures are DER,
 * as the service and the JCA produce them; {@link #jwsSignature()} gives the JWS form.
 *
 * @param keyId the concrete version that signed; verify with exactly this id
 * @param fallback whether the client's local fallback signing key made it because the service was
 *     unavailable; its key id is in the fallback namespace
 */
public record SignResult(KeyId keyId, KeyAlgorithm algorithm, byte[] signature, boolean fallback) {
    public SignResult {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(algorithm, "algorithm");
        if (keyId.version() < 1) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "a signature names a concrete key version, not " + keyId);
        }
        if (!algorithm.canSign()) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, algorithm + " does not sign");
        }
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The signature as JWS carries it: r ‖ s for ECDSA (RFC 7518 §3.4), unchanged otherwise. */
    public byte[] jwsSignature() {
        int field = switch (algorithm) {
            case ECDSA_P256_SHA256 -> 32;
            case ECDSA_P384_SHA384 -> 48;
            default -> 0;
        };
        if (field == 0) {
            return signature.clone();
        }
        return EcdsaSignatures.derToP1363(signature, field)
                .orElseThrow(() -> new CryptoException(Reason.SIGNATURE_INVALID, "not a DER ECDSA signature"));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignResult r && keyId.equals(r.keyId) && algorithm == r.algorithm && fallback == r.fallback
                && Arrays.equals(signature, r.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyId, algorithm, fallback, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "SignResult[" + keyId + ", " + algorithm + (fallback ? ", fallback" : "") + "]";
    }
}
