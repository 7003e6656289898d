package dev.keyline.crypto.core.aead;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.provider.InstancePool;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM with associated data: a random 96-bit IV per message and a 128-bit tag.
 *
 * <p>Security guarantee: decryption succeeds only for the exact ciphertext, IV, tag and AAD that
 * encryption produced under the same key; the AAD is authenticated but not encrypted, so it binds
 * a ciphertext to its context (a key id, a family id, a subject). Random 96-bit IVs keep the
 * collision probability below 2^-32 for up to 2^32 messages per key.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class AesGcm {
    public static final int KEY_BYTES = 32;
    public static final int IV_BYTES = 12;
    public static final int TAG_BYTES = 16;
    /** Shorter IVs are refused both ways: GCM derives their counter block through GHASH. */
    private static final int MIN_IV_BYTES = 8;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private final SecretKeySpec key;
    private final Provider provider;
    /** Ciphers of this key, reused: see {@link InstancePool}. Every use initializes with a fresh IV. */
    private final InstancePool<Cipher> ciphers;

    private AesGcm(SecretKeySpec key, Provider provider) {
        this.key = key;
        this.provider = provider;
        this.ciphers = new InstancePool<>(() -> Cipher.getInstance(TRANSFORMATION, provider));
    }

    /** AES-256-GCM under {@code key} (32 bytes). */
    public static AesGcm of(SecretBytes key) {
        return of(key, CryptoProviders.defaults().aead());
    }

    public static AesGcm of(SecretBytes key, Provider provider) {
        if (key.size() != KEY_BYTES) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "AES-256-GCM needs a 32-byte key, got " + key.size());
        }
        return anySize(key, provider);
    }

    /**
     * AES-GCM with a 16, 24 or 32-byte key. Keyline keys are always 32 bytes; the other sizes
     * exist so published test vectors can run through the same code.
     */
    public static AesGcm anySize(SecretBytes key, Provider provider) {
        int n = key.size();
        if (n != 16 && n != 24 && n != 32) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "AES key must be 16, 24 or 32 bytes");
        }
        byte[] raw = key.toByteArray();
        try {
            return new AesGcm(new SecretKeySpec(raw, "AES"), provider);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** Encrypts with a fresh random IV. */
    public AeadCiphertext encrypt(byte[] plaintext, byte[] aad, SecureRandom random) {
        return encrypt(plaintext, 0, plaintext.length, aad, random);
    }

    /**
     * Encrypts {@code length} bytes of {@code plaintext} from {@code offset} with a fresh random
     * IV: for callers whose plaintext sits inside a larger buffer (a parsed request), so it need
     * not be copied out first.
     */
    public AeadCiphertext encrypt(byte[] plaintext, int offset, int length, byte[] aad, SecureRandom random) {
        java.util.Objects.checkFromIndexSize(offset, length, plaintext.length);
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        try {
            byte[] out = ciphers.use(cipher -> seal(cipher, plaintext, offset, length, aad, iv));
            return AeadCiphertext.owning(out, out.length - TAG_BYTES, iv);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CryptoException(Reason.ENCRYPTION_FAILED, "AES-GCM encryption failed", e);
        }
    }

    private byte[] seal(Cipher cipher, byte[] plaintext, int offset, int length, byte[] aad, byte[] iv) throws GeneralSecurityException {
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, iv));
        if (aad.length > 0) {
            cipher.updateAAD(aad);
        }
        byte[] out = cipher.doFinal(plaintext, offset, length);
        if (out.length != length + TAG_BYTES) {
            throw new CryptoException(Reason.ENCRYPTION_FAILED, "AES-GCM encryption wrote an unexpected length");
        }
        return out;
    }

    /**
     * Encrypts with a caller-chosen IV of at least 8 bytes (12 is the norm). The IV must never
     * repeat under one key. A shorter IV fails with {@link Reason#INVALID_ARGUMENT}, since
     * {@link #decrypt} would refuse the result. Uses a fresh Cipher each time (providers refuse a
     * reused Cipher the IV it last encrypted with), so this is the slower path; it exists for
     * published test vectors.
     */
    public AeadCiphertext encryptWithIv(byte[] plaintext, byte[] aad, byte[] iv) {
        if (iv.length < MIN_IV_BYTES) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "AES-GCM IV must be at least " + MIN_IV_BYTES + " bytes");
        }
        try {
            byte[] out = seal(Cipher.getInstance(TRANSFORMATION, provider), plaintext, 0, plaintext.length, aad, iv);
            return AeadCiphertext.owning(out, out.length - TAG_BYTES, iv.clone());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CryptoException(Reason.ENCRYPTION_FAILED, "AES-GCM encryption failed", e);
        }
    }

    /**
     * Decrypts and authenticates. Any change to ciphertext, IV, tag or AAD fails with
     * {@link Reason#DECRYPTION_FAILED}; nothing is returned unless authentication succeeded.
     */
    public byte[] decrypt(AeadCiphertext sealed, byte[] aad) {
        byte[] iv = sealed.rawIv();
        if (iv.length < MIN_IV_BYTES || sealed.tagLength() != TAG_BYTES) {
            throw new CryptoException(Reason.DECRYPTION_FAILED, "AES-GCM decryption failed: bad IV or tag length");
        }
        try {
            return ciphers.use(cipher -> {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, iv));
                if (aad.length > 0) {
                    cipher.updateAAD(aad);
                }
                // Ciphertext and tag are one array already, as the cipher wants them.
                return cipher.doFinal(sealed.rawSealed());
            });
        } catch (AEADBadTagException e) {
            throw new CryptoException(Reason.DECRYPTION_FAILED, "AES-GCM authentication failed");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CryptoException(Reason.DECRYPTION_FAILED, "AES-GCM decryption failed", e);
        }
    }

    /**
     * Encrypts with a fresh random IV into one array: {@code prefix ‖ iv ‖ ciphertext ‖ tag},
     * authenticating {@code prefix ‖ extraAad} as the AAD. The same as {@link #encrypt} with that
     * AAD, laid out for formats that carry a self-delimiting header before the sealed body, without
     * intermediate copies. Read back with {@link #decryptFramed}.
     */
    public byte[] encryptFramed(byte[] prefix, byte[] plaintext, byte[] extraAad, SecureRandom random) {
        byte[] out = new byte[prefix.length + IV_BYTES + plaintext.length + TAG_BYTES];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        System.arraycopy(iv, 0, out, prefix.length, IV_BYTES);
        try {
            int written = ciphers.use(cipher -> {
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, iv));
                cipher.updateAAD(prefix);
                if (extraAad.length > 0) {
                    cipher.updateAAD(extraAad);
                }
                return cipher.doFinal(plaintext, 0, plaintext.length, out, prefix.length + IV_BYTES);
            });
            if (written != plaintext.length + TAG_BYTES) {
                throw new CryptoException(Reason.ENCRYPTION_FAILED, "AES-GCM encryption wrote an unexpected length");
            }
            return out;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CryptoException(Reason.ENCRYPTION_FAILED, "AES-GCM encryption failed", e);
        }
    }

    /**
     * Decrypts {@code framed = prefix ‖ iv ‖ ciphertext ‖ tag} as written by
     * {@link #encryptFramed}, where the prefix is the first {@code prefixLength} bytes and the AAD
     * is {@code prefix ‖ extraAad}. Fails with {@link Reason#DECRYPTION_FAILED} on any change or a
     * body too short to hold an IV and a tag.
     */
    public byte[] decryptFramed(byte[] framed, int prefixLength, byte[] extraAad) {
        int ivAt = prefixLength;
        // Checked before any arithmetic that could overflow (prefixLength near Integer.MAX_VALUE).
        if (prefixLength < 0 || prefixLength > framed.length - IV_BYTES - TAG_BYTES) {
            throw new CryptoException(Reason.DECRYPTION_FAILED, "AES-GCM decryption failed: too short for an IV and a tag");
        }
        int sealedLength = framed.length - ivAt - IV_BYTES;
        if (sealedLength < TAG_BYTES) {
            throw new CryptoException(Reason.DECRYPTION_FAILED, "AES-GCM decryption failed: too short for an IV and a tag");
        }
        try {
            return ciphers.use(cipher -> {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, framed, ivAt, IV_BYTES));
                cipher.updateAAD(framed, 0, prefixLength);
                if (extraAad.length > 0) {
                    cipher.updateAAD(extraAad);
                }
                return cipher.doFinal(framed, ivAt + IV_BYTES, sealedLength);
            });
        } catch (AEADBadTagException e) {
            throw new CryptoException(Reason.DECRYPTION_FAILED, "AES-GCM authentication failed");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CryptoException(Reason.DECRYPTION_FAILED, "AES-GCM decryption failed", e);
        }
    }

    @Override
    public String toString() {
        return "AesGcm[key redacted, " + provider.getName() + "]";
    }
}
