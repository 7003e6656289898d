package dev.keyline.crypto.core;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Secret bytes (key material, plaintext data keys). Copies in and out so no caller can mutate
 * the held value, compares in constant time, and never prints its contents.
 */
public final class SecretBytes {
    private final byte[] bytes;

    private SecretBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Copies {@code bytes}; later changes to the array do not affect this value. */
    public static SecretBytes copyOf(byte[] bytes) {
        return new SecretBytes(bytes.clone());
    }

    /** Takes ownership of {@code bytes} without copying; the caller must not keep a reference. */
    public static SecretBytes wrap(byte[] bytes) {
        return new SecretBytes(bytes);
    }

    /** A fresh copy of the secret. Callers should overwrite it when done. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    /** Constant-time comparison. */
    public boolean equalsSecretBytes(SecretBytes other) {
        return MessageDigest.isEqual(bytes, other.bytes);
    }

    /** Overwrites the held bytes; the value is unusable afterwards. */
    public void destroy() {
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecretBytes other && equalsSecretBytes(other);
    }

    @Override
    public int hashCode() {
        // Deliberately constant: a content hash would leak information about the secret.
        return 0x5ec7e7;
    }

    @Override
    public String toString() {
        return "SecretBytes[redacted]";
    }
}
