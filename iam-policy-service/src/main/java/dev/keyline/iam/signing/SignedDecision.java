package dev.keyline.iam.signing;

import dev.keyline.crypto.core.keys.KeyId;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A decision signed by the crypto service: proof that {@link DecisionSigner} signed these claims.
 * Only the signer creates one.
 */
public final class SignedDecision {
    private final DecisionClaims claims;
    private final byte[] signature;
    private final KeyId keyId;

    SignedDecision(DecisionClaims claims, byte[] signature, KeyId keyId) {
        this.claims = Objects.requireNonNull(claims, "claims");
        this.signature = signature.clone();
        this.keyId = Objects.requireNonNull(keyId, "keyId");
    }

    public DecisionClaims claims() {
        return claims;
    }

    /** The ECDSA P-256 signature over {@link DecisionClaims#canonicalPayload()}, DER-encoded. */
    public byte[] signature() {
        return signature.clone();
    }

    /** {@link #signature()} in standard base64, as the HTTP API carries it. */
    public String signatureBase64() {
        return Base64.getEncoder().encodeToString(signature);
    }

    /** The concrete key version that signed ({@code namespace/id/version}). */
    public KeyId keyId() {
        return keyId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedDecision s && claims.equals(s.claims) && keyId.equals(s.keyId) && Arrays.equals(signature, s.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(claims, keyId, Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "SignedDecision[" + claims.decisionId() + ", " + keyId + "]";
    }
}
