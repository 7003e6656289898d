package dev.keyline.crypto.core.keys;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.core.signing.VerifyingKey;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

/**
 * The secret material of one key version, ready to use: an AES-GCM or HMAC key, or a signing key
 * pair. {@link #serialize()} gives the bytes a key store wraps; {@link #deserialize} reads them.
 * Never prints anything secret.
 */
public final class KeyMaterial {
    private static final byte FORMAT_V1 = 1;
    private static final int HMAC_KEY_BYTES = 32;

    private final KeyAlgorithm algorithm;
    private final AesGcm aead;
    private final HmacSha256 mac;
    private final SigningKey signingKey;
    private final SecretBytes serialized;

    private KeyMaterial(KeyAlgorithm algorithm, AesGcm aead, HmacSha256 mac, SigningKey signingKey, SecretBytes serialized) {
        this.algorithm = algorithm;
        this.aead = aead;
        this.mac = mac;
        this.signingKey = signingKey;
        this.serialized = serialized;
    }

    /** Fresh material for {@code algorithm}. */
    public static KeyMaterial generate(KeyAlgorithm algorithm, SecureRandom random, CryptoProviders providers) {
        return switch (algorithm) {
            case AES_256_GCM -> symmetric(algorithm, randomBytes(random, AesGcm.KEY_BYTES), providers);
            case HMAC_SHA256 -> symmetric(algorithm, randomBytes(random, HMAC_KEY_BYTES), providers);
            case ECDSA_P256_SHA256, ECDSA_P384_SHA384, ED25519, RSA_PSS_2048_SHA256, RSA_PKCS1_2048_SHA256 ->
                    asymmetric(SigningKey.generate(algorithm, random, providers));
        };
    }

    /**
     * Reads what {@link #serialize()} wrote. Bytes that are not valid material of
     * {@code algorithm} fail with {@link Reason#INTERNAL}: stored material is never a caller's input.
     */
    public static KeyMaterial deserialize(KeyAlgorithm algorithm, SecretBytes bytes, CryptoProviders providers) {
        byte[] raw = bytes.toByteArray();
        try {
            if (raw.length < 2 || raw[0] != FORMAT_V1) {
                throw corrupt(algorithm);
            }
            ByteBuffer buf = ByteBuffer.wrap(raw, 1, raw.length - 1);
            if (!algorithm.isAsymmetric()) {
                byte[] key = new byte[buf.remaining()];
                buf.get(key);
                return symmetric(algorithm, key, providers);
            }
            int spkiLen = buf.getInt();
            if (spkiLen <= 0 || spkiLen > buf.remaining()) {
                throw corrupt(algorithm);
            }
            byte[] spki = new byte[spkiLen];
            buf.get(spki);
            byte[] pkcs8 = new byte[buf.remaining()];
            buf.get(pkcs8);
            VerifyingKey pub = VerifyingKey.fromSpki(algorithm, spki, providers);
            return asymmetric(SigningKey.fromPkcs8(algorithm, SecretBytes.wrap(pkcs8), pub, providers));
        } catch (java.nio.BufferUnderflowException e) {
            throw corrupt(algorithm);
        } catch (CryptoException e) {
            // Stored bytes that do not import (INVALID_ARGUMENT from the key importers) are
            // corruption or material of another algorithm: an internal failure, never the caller's.
            if (e.reason() == Reason.INTERNAL) {
                throw e;
            }
            throw corrupt(algorithm, e);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private static CryptoException corrupt(KeyAlgorithm algorithm) {
        return corrupt(algorithm, null);
    }

    private static CryptoException corrupt(KeyAlgorithm algorithm, Throwable cause) {
        return new CryptoException(Reason.INTERNAL, "stored key material is not valid " + algorithm + " material", cause);
    }

    private static byte[] randomBytes(SecureRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static KeyMaterial symmetric(KeyAlgorithm algorithm, byte[] key, CryptoProviders providers) {
        SecretBytes secret = SecretBytes.wrap(key);
        byte[] ser = new byte[key.length + 1];
        ser[0] = FORMAT_V1;
        System.arraycopy(key, 0, ser, 1, key.length);
        if (algorithm == KeyAlgorithm.AES_256_GCM) {
            return new KeyMaterial(algorithm, AesGcm.of(secret, providers.aead()), null, null, SecretBytes.wrap(ser));
        }
        return new KeyMaterial(algorithm, null, HmacSha256.of(secret, providers.mac()), null, SecretBytes.wrap(ser));
    }

    private static KeyMaterial asymmetric(SigningKey key) {
        byte[] spki = key.verifyingKey().spki();
        byte[] pkcs8 = key.pkcs8().toByteArray();
        ByteBuffer buf = ByteBuffer.allocate(1 + 4 + spki.length + pkcs8.length);
        buf.put(FORMAT_V1).putInt(spki.length).put(spki).put(pkcs8);
        Arrays.fill(pkcs8, (byte) 0);
        return new KeyMaterial(key.algorithm(), null, null, key, SecretBytes.wrap(buf.array()));
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    /** The bytes to store (wrapped). Secret. */
    public SecretBytes serialize() {
        return serialized;
    }

    public Optional<AesGcm> aead() {
        return Optional.ofNullable(aead);
    }

    public Optional<HmacSha256> mac() {
        return Optional.ofNullable(mac);
    }

    public Optional<SigningKey> signingKey() {
        return Optional.ofNullable(signingKey);
    }

    public Optional<VerifyingKey> verifyingKey() {
        return signingKey == null ? Optional.empty() : Optional.of(signingKey.verifyingKey());
    }

    @Override
    public String toString() {
        return "KeyMaterial[" + algorithm + ", redacted]";
    }
}
