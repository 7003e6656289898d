package dev.keyline.crypto.core.aead;

import java.util.Arrays;

/**
 * The output of AES-GCM as three fields, as the crypto service's API carries them: the
 * ciphertext (same length as the plaintext), the IV and the authentication tag. Not secret.
 */
public final class AeadCiphertext {
    private final byte[] ciphertext;
    private final byte[] iv;
    private final byte[] tag;

    private AeadCiphertext(byte[] ciphertext, byte[] iv, byte[] tag) {
        this.ciphertext = ciphertext;
        this.iv = iv;
        this.tag = tag;
    }

    public static AeadCiphertext of(byte[] ciphertext, byte[] iv, byte[] tag) {
        return new AeadCiphertext(ciphertext.clone(), iv.clone(), tag.clone());
    }

    static AeadCiphertext owning(byte[] ciphertext, byte[] iv, byte[] tag) {
        return new AeadCiphertext(ciphertext, iv, tag);
    }

    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    public byte[] iv() {
        return iv.clone();
    }

    public byte[] tag() {
        return tag.clone();
    }

    int ciphertextLength() {
        return ciphertext.length;
    }

    byte[] rawCiphertext() {
        return ciphertext;
    }

    byte[] rawIv() {
        return iv;
    }

    byte[] rawTag() {
        return tag;
    }

    /** iv ‖ ciphertext ‖ tag, the common single-blob form. */
    public byte[] concatenated() {
        byte[] out = new byte[iv.length + ciphertext.length + tag.length];
        System.arraycopy(iv, 0, out, 0, iv.length);
        System.arraycopy(ciphertext, 0, out, iv.length, ciphertext.length);
        System.arraycopy(tag, 0, out, iv.length + ciphertext.length, tag.length);
        return out;
    }

    /** Splits iv ‖ ciphertext ‖ tag with a 12-byte IV and a 16-byte tag. */
    public static AeadCiphertext fromConcatenated(byte[] blob) {
        if (blob.length < AesGcm.IV_BYTES + AesGcm.TAG_BYTES) {
            throw new IllegalArgumentException("ciphertext blob too short");
        }
        byte[] iv = Arrays.copyOfRange(blob, 0, AesGcm.IV_BYTES);
        byte[] ct = Arrays.copyOfRange(blob, AesGcm.IV_BYTES, blob.length - AesGcm.TAG_BYTES);
        byte[] tag = Arrays.copyOfRange(blob, blob.length - AesGcm.TAG_BYTES, blob.length);
        return new AeadCiphertext(ct, iv, tag);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AeadCiphertext other && Arrays.equals(ciphertext, other.ciphertext)
                && Arrays.equals(iv, other.iv) && Arrays.equals(tag, other.tag);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(ciphertext) + Arrays.hashCode(iv)) + Arrays.hashCode(tag);
    }

    @Override
    public String toString() {
        return "AeadCiphertext[" + ciphertext.length + " bytes]";
    }
}
