package dev.keyline.crypto.core.aead;

import java.util.Arrays;

/**
 * The output of AES-GCM as three fields, as the crypto service's API carries them: the
 * ciphertext (same length as the plaintext), the IV and the authentication tag. Not secret.
 */
public final class AeadCiphertext {
    /** Ciphertext then tag, in one array as the cipher writes them: no copy to split them. */
    private final byte[] sealed;
    private final int ciphertextLength;
    private final byte[] iv;

    /** Reads the parts of a ciphertext in place; see {@link #readParts}. */
    @FunctionalInterface
    public interface PartsReader<T> {
        T read(byte[] iv, byte[] ciphertextThenTag, int ciphertextLength);
    }

    private AeadCiphertext(byte[] sealed, int ciphertextLength, byte[] iv) {
        this.sealed = sealed;
        this.ciphertextLength = ciphertextLength;
        this.iv = iv;
    }

    public static AeadCiphertext of(byte[] ciphertext, byte[] iv, byte[] tag) {
        byte[] sealed = Arrays.copyOf(ciphertext, ciphertext.length + tag.length);
        System.arraycopy(tag, 0, sealed, ciphertext.length, tag.length);
        return new AeadCiphertext(sealed, ciphertext.length, iv.clone());
    }

    /**
     * The same as {@link #of(byte[], byte[], byte[])} for a ciphertext that sits inside a larger
     * buffer (a parsed request): copies it once, straight into place.
     */
    public static AeadCiphertext of(byte[] ciphertext, int offset, int length, byte[] iv, byte[] tag) {
        java.util.Objects.checkFromIndexSize(offset, length, ciphertext.length);
        byte[] sealed = new byte[length + tag.length];
        System.arraycopy(ciphertext, offset, sealed, 0, length);
        System.arraycopy(tag, 0, sealed, length, tag.length);
        return new AeadCiphertext(sealed, length, iv.clone());
    }

    /** Takes ownership of {@code ciphertextThenTag} and {@code iv}. */
    static AeadCiphertext owning(byte[] ciphertextThenTag, int ciphertextLength, byte[] iv) {
        return new AeadCiphertext(ciphertextThenTag, ciphertextLength, iv);
    }

    public byte[] ciphertext() {
        return Arrays.copyOf(sealed, ciphertextLength);
    }

    public byte[] iv() {
        return iv.clone();
    }

    public byte[] tag() {
        return Arrays.copyOfRange(sealed, ciphertextLength, sealed.length);
    }

    /**
     * Hands the parts to {@code reader} without copying them, for serializers that send them on
     * (the crypto service wraps them into its response). The arrays are this object's own: the
     * reader must not change them, and may keep them (a response wrapping them) only while this
     * object is used for nothing else.
     */
    public <T> T readParts(PartsReader<T> reader) {
        return reader.read(iv, sealed, ciphertextLength);
    }

    /** The length of the ciphertext (that of the plaintext). */
    public int ciphertextLength() {
        return ciphertextLength;
    }

    int tagLength() {
        return sealed.length - ciphertextLength;
    }

    byte[] rawSealed() {
        return sealed;
    }

    byte[] rawIv() {
        return iv;
    }

    /** iv ‖ ciphertext ‖ tag, the common single-blob form. */
    public byte[] concatenated() {
        byte[] out = new byte[iv.length + sealed.length];
        System.arraycopy(iv, 0, out, 0, iv.length);
        System.arraycopy(sealed, 0, out, iv.length, sealed.length);
        return out;
    }

    /** Splits iv ‖ ciphertext ‖ tag with a 12-byte IV and a 16-byte tag. */
    public static AeadCiphertext fromConcatenated(byte[] blob) {
        if (blob.length < AesGcm.IV_BYTES + AesGcm.TAG_BYTES) {
            throw new IllegalArgumentException("ciphertext blob too short");
        }
        byte[] iv = Arrays.copyOfRange(blob, 0, AesGcm.IV_BYTES);
        byte[] sealed = Arrays.copyOfRange(blob, AesGcm.IV_BYTES, blob.length);
        return new AeadCiphertext(sealed, sealed.length - AesGcm.TAG_BYTES, iv);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AeadCiphertext other && ciphertextLength == other.ciphertextLength && Arrays.equals(sealed, other.sealed)
                && Arrays.equals(iv, other.iv);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(sealed) + Arrays.hashCode(iv)) + ciphertextLength;
    }

    @Override
    public String toString() {
        return "AeadCiphertext[" + ciphertextLength + " bytes]";
    }
}
