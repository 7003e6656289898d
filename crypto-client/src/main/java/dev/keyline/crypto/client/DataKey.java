package dev.keyline.crypto.client;

import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyId;
import java.util.Objects;

/**
 * A fresh AES-256 data key for envelope encryption: the plaintext (keep it in memory only, and
 * {@link SecretBytes#destroy()} it when done) and the same key wrapped under a service key (store
 * it next to the data; {@link CryptoClient#decrypt(EncryptResult, byte[])} unwraps it).
 */
public record DataKey(SecretBytes plaintextKey, EncryptResult wrappedKey) {
    public DataKey {
        Objects.requireNonNull(plaintextKey, "plaintextKey");
        Objects.requireNonNull(wrappedKey, "wrappedKey");
    }

    /** The concrete key version that wrapped the data key. */
    public KeyId keyId() {
        return wrappedKey.keyId();
    }

    /** Whether the data key is wrapped under the client's local fallback key. */
    public boolean fallback() {
        return wrappedKey.fallback();
    }

    @Override
    public String toString() {
        return "DataKey[" + wrappedKey.keyId() + ", plaintext redacted" + (fallback() ? ", fallback" : "") + "]";
    }
}
