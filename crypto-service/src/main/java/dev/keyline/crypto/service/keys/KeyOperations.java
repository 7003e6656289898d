package dev.keyline.crypto.service.keys;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.aead.AeadCiphertext;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.aead.IvRandom;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.core.signing.VerifyingKey;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The cryptographic operations of the service on top of {@link KeyRegistry}: each resolves the
 * right version for its operation (primary for encrypt/sign/data keys; any enabled version at or
 * above the minimum for decrypt/verify), checks the algorithm can do it, and names the concrete
 * version used in its result.
 */
public final class KeyOperations {
    private final KeyRegistry registry;
    private final SecureRandom random;
    private final int maxPayloadBytes;

    public KeyOperations(KeyRegistry registry, SecureRandom random, int maxPayloadBytes) {
        this.registry = registry;
        this.random = random;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /** The outcome of an encryption: the version used and the three AES-GCM fields. */
    public record Encrypted(KeyId keyId, KeyAlgorithm algorithm, AeadCiphertext ciphertext) { }

    /** A signature and the version that made it. ECDSA signatures are DER. */
    public record Signed(KeyId keyId, KeyAlgorithm algorithm, byte[] signature) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Signed s && keyId.equals(s.keyId) && algorithm == s.algorithm && Arrays.equals(signature, s.signature);
        }

        @Override
        public int hashCode() {
            return keyId.hashCode() * 31 + Arrays.hashCode(signature);
        }

        @Override
        public String toString() {
            return "Signed[" + keyId + ", " + algorithm + "]";
        }
    }

    /** A public key of one concrete version. */
    public record Public(KeyId keyId, KeyAlgorithm algorithm, VerifyingKey key) { }

    public Encrypted encrypt(KeyId id, byte[] plaintext, byte[] aad) {
        return encrypt(id, plaintext, 0, plaintext.length, aad, random);
    }

    /** The IVs for one request's {@code count} encryptions, drawn in one call: see {@link IvRandom}. */
    public SecureRandom ivsFor(int count) {
        return IvRandom.forRequest(random, count);
    }

    /**
     * Encrypts {@code length} bytes of {@code plaintext} from {@code offset} (a parsed request's
     * buffer, not copied), the IV from {@code ivs}: the request's IVs from {@link #ivsFor}.
     */
    public Encrypted encrypt(KeyId id, byte[] plaintext, int offset, int length, byte[] aad, SecureRandom ivs) {
        checkSize("plaintext", length);
        checkSize("aad", aad.length);
        KeyRegistry.Resolved r = registry.resolve(id, Operation.ENCRYPT);
        aeadOf(r, "encrypt");
        r = registry.countEncryption(id, Operation.ENCRYPT, r);
        AesGcm aead = aeadOf(r, "encrypt");
        return new Encrypted(r.keyId(), r.ring().algorithm(), aead.encrypt(plaintext, offset, length, aad, ivs));
    }

    public byte[] decrypt(KeyId id, AeadCiphertext ciphertext, byte[] aad) {
        checkSize("ciphertext", ciphertext.ciphertextLength());
        checkSize("aad", aad.length);
        KeyRegistry.Resolved r = registry.resolve(id, Operation.DECRYPT);
        return aeadOf(r, "decrypt").decrypt(ciphertext, aad);
    }

    public Signed sign(KeyId id, byte[] data) {
        checkSize("data", data.length);
        KeyRegistry.Resolved r = registry.resolve(id, Operation.SIGN);
        byte[] sig = switch (r.ring().algorithm().purpose()) {
            case SIGNING -> signingKeyOf(r).sign(data);
            case MAC -> r.material().mac().orElseThrow().compute(data);
            case ENCRYPTION -> throw mismatch(r, "sign");
        };
        return new Signed(r.keyId(), r.ring().algorithm(), sig);
    }

    /** Whether {@code signature} is valid; a malformed or wrong signature is {@code false}, not an error. */
    public boolean verify(KeyId id, byte[] data, byte[] signature) {
        checkSize("data", data.length);
        checkSize("signature", signature.length);
        KeyRegistry.Resolved r = registry.resolve(id, Operation.VERIFY);
        return switch (r.ring().algorithm().purpose()) {
            case SIGNING -> signingKeyOf(r).verifyingKey().verify(data, signature);
            case MAC -> {
                HmacSha256 mac = r.material().mac().orElseThrow();
                yield signature.length == HmacSha256.TAG_BYTES && mac.verify(data, signature);
            }
            case ENCRYPTION -> throw mismatch(r, "verify");
        };
    }

    /** A fresh AES-256 data key, and the same key encrypted under {@code id} with {@code aad}. */
    public DataKey generateDataKey(KeyId id, byte[] aad) {
        checkSize("aad", aad.length);
        KeyRegistry.Resolved r = registry.resolve(id, Operation.DATA_KEY);
        aeadOf(r, "generate data keys");
        r = registry.countEncryption(id, Operation.DATA_KEY, r);
        AesGcm aead = aeadOf(r, "generate data keys");
        byte[] key = new byte[AesGcm.KEY_BYTES];
        random.nextBytes(key);
        AeadCiphertext wrapped = aead.encrypt(key, aad, random);
        return new DataKey(dev.keyline.crypto.core.SecretBytes.wrap(key), new Encrypted(r.keyId(), r.ring().algorithm(), wrapped));
    }

    /** A plaintext data key and its wrapped form. */
    public record DataKey(dev.keyline.crypto.core.SecretBytes plaintext, Encrypted wrapped) { }

    /**
     * The public key of a version (the primary for version 0) of an asymmetric key. Like AWS and
     * Google Cloud KMS, only an ENABLED version of an ENABLED key answers (KEY_STATE_INVALID
     * otherwise), whatever its place relative to min_decryption_version.
     */
    public Public publicKey(KeyId id) {
        KeyRing ring = registry.metadata(id);
        if (!ring.algorithm().isAsymmetric()) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH,
                    "key " + ring.name().ringName() + " is " + ring.algorithm() + " and has no public key");
        }
        int v = id.version() == 0 ? ring.primaryVersion() : id.version();
        KeyRegistry.Resolved r = registry.resolve(ring.name().withVersion(v), Operation.READ);
        return new Public(r.keyId(), ring.algorithm(), signingKeyOf(r).verifyingKey());
    }

    private void checkSize(String field, int length) {
        if (length > maxPayloadBytes) {
            throw new CryptoException(Reason.INVALID_ARGUMENT,
                    field + " is " + length + " bytes; the limit is " + maxPayloadBytes);
        }
    }

    private static AesGcm aeadOf(KeyRegistry.Resolved r, String what) {
        return r.material().aead().orElseThrow(() -> mismatch(r, what));
    }

    private static SigningKey signingKeyOf(KeyRegistry.Resolved r) {
        return r.material().signingKey().orElseThrow(() -> mismatch(r, "sign"));
    }

    private static CryptoException mismatch(KeyRegistry.Resolved r, String what) {
        return new CryptoException(Reason.ALGORITHM_MISMATCH,
                "key " + r.ring().name().ringName() + " is " + r.ring().algorithm() + " and cannot " + what);
    }

    public KeyRegistry registry() {
        return registry;
    }

    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }
}
