package dev.keyline.token.storage;

/**
 * A stored entry failed its integrity check: its ciphertext does not authenticate under its key
 * and version (tampered, copied from another key, or an older value written back), or its version
 * does not match the version witness the storage keeps beside it (a rolled-back entry). The entry
 * must be treated as invalid, never read around. The message names no stored value.
 */
public final class StorageIntegrityException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StorageIntegrityException(String message) {
        super(message);
    }

    public StorageIntegrityException(String message, Throwable cause) {
        super(message, cause);
    }
}
