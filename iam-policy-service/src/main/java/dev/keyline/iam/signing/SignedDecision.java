package dev.keyline.iam.signing;

import dev.keyline.crypto.core.keys.KeyId;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * A decision signed by the crypto service: proof that {@link DecisionSigner} signed these claims,
 * alone or as one item of a batch ({@link #batch()}). Only the signer creates one.
 */
public final class SignedDecision {
    private final SignedClaims claims;
    private final byte[] signature;
    private final KeyId keyId;
    private final Optional<BatchProof> batch;

    SignedDecision(SignedClaims claims, byte[] signature, KeyId keyId, Optional<BatchProof> batch) {
        this.claims = Objects.requireNonNull(claims, "claims");
        this.signature = signature.clone();
        this.keyId = Objects.requireNonNull(keyId, "keyId");
        this.batch = Objects.requireNonNull(batch, "batch");
    }

    public SignedClaims claims() {
        return claims;
    }

    /**
     * The ECDSA P-256 signature, DER-encoded, over {@link SignedClaims#canonicalPayload()} — or, for
     * an item of a batch, over the batch payload ({@link BatchProof}).
     */
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

    /** Where this decision sits in a batch signed once; empty when it was signed alone. */
    public Optional<BatchProof> batch() {
        return batch;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedDecision s && claims.equals(s.claims) && keyId.equals(s.keyId) && Arrays.equals(signature, s.signature)
                && batch.equals(s.batch);
    }

    @Override
    public int hashCode() {
        return Objects.hash(claims, keyId, Arrays.hashCode(signature), batch);
    }

    @Override
    public String toString() {
        return "SignedDecision[" + claims.seed().decisionId() + ", " + keyId + "]";
    }
}
