package dev.keyline.token.storage;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A {@link CacheStorage} whose values are encrypted before they reach the inner storage (Redis
 * sees only envelopes), each bound to its own AAD: {@code aadFor.apply(key)} — for a token family
 * the family id — so a value copied to another key fails to decrypt
 * ({@code DECRYPTION_FAILED}) instead of being read as that key's. Versions and expiry are the
 * inner storage's, unencrypted; they are not secret.
 */
public final class EncryptedCacheStorage implements CacheStorage {
    private final CacheStorage inner;
    private final CryptoEncryptor encryptor;
    private final Function<String, byte[]> aadFor;

    public EncryptedCacheStorage(CacheStorage inner, CryptoEncryptor encryptor, Function<String, byte[]> aadFor) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.encryptor = Objects.requireNonNull(encryptor, "encryptor");
        this.aadFor = Objects.requireNonNull(aadFor, "aadFor");
    }

    @Override
    public Optional<Stored> get(String key) {
        return inner.get(key).map(s -> new Stored(encryptor.decrypt(s.value(), aadFor.apply(key)), s.version()));
    }

    @Override
    public boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite) {
        return inner.compareAndSet(seal(write), expectedVersion, alsoWrite.stream().map(this::seal).toList());
    }

    @Override
    public void put(Put put) {
        inner.put(seal(put));
    }

    @Override
    public void delete(String key) {
        inner.delete(key);
    }

    private Put seal(Put p) {
        return new Put(p.key(), encryptor.encrypt(p.value(), aadFor.apply(p.key())), p.expiresAt());
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return "EncryptedCacheStorage[" + inner + "]";
    }
}
