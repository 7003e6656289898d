package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.aead.AeadCiphertext;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import java.util.Arrays;
import java.util.Objects;

/**
 * The outcome of an encryption: the concrete key version that encrypted, and the three AES-GCM
 * fields. Store all of it; {@link CryptoClient#decrypt(EncryptResult, byte[])} needs it back.
 * Arrays are copied in and out, and compared by content.
 *
 * @param keyId the concrete version used ({@code namespace/id/version}, version ≥ 1)
 * @param fallback whether the client's local fallback key made this because the service was
 *     unavailable; such results carry a key id in the fallback namespace and decrypt locally
 */
public record EncryptResult(KeyId keyId, KeyAlgorithm algorithm, byte[] ciphertext, byte[] iv, byte[] tag, boolean fallback) {
    public EncryptResult {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(algorithm, "algorithm");
        if (keyId.version() < 1) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "an encryption result names a concrete key version, not " + keyId);
        }
        if (!algorithm.canEncrypt()) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, algorithm + " does not encrypt");
        }
        ciphertext = ciphertext.clone();
        iv = iv.clone();
        tag = tag.clone();
    }

    /** A stored AES-256-GCM ciphertext made by the crypto service under {@code keyId}. */
    public static EncryptResult of(KeyId keyId, AeadCiphertext sealed) {
        return new EncryptResult(keyId, KeyAlgorithm.AES_256_GCM, sealed.ciphertext(), sealed.iv(), sealed.tag(), false);
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    @Override
    public byte[] iv() {
        return iv.clone();
    }

    @Override
    public byte[] tag() {
        return tag.clone();
    }

    /** The three fields as one core value. */
    public AeadCiphertext sealed() {
        return AeadCiphertext.of(ciphertext, iv, tag);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncryptResult r && keyId.equals(r.keyId) && algorithm == r.algorithm && fallback == r.fallback
                && Arrays.equals(ciphertext, r.ciphertext) && Arrays.equals(iv, r.iv) && Arrays.equals(tag, r.tag);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyId, algorithm, fallback, Arrays.hashCode(ciphertext), Arrays.hashCode(iv), Arrays.hashCode(tag));
    }

    @Override
    public String toString() {
        return "EncryptResult[" + keyId + ", " + algorithm + ", " + ciphertext.length + " bytes" + (fallback ? ", fallback" : "") + "]";
    }
}
