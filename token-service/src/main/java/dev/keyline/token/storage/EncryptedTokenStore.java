package dev.keyline.token.storage;

import dev.keyline.crypto.core.CryptoException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * A {@link TokenStore} whose values are encrypted before they reach the inner storage (Redis
 * sees only envelopes), each bound to its own AAD: {@code aadFor.apply(key)} — for a token family
 * the family id — followed by the entry's version ({@code "\nv=" + version}). So a value copied
 * to another key, or an older value of the same key written back under a later version, does not
 * authenticate and {@link #get} refuses it with {@link StorageIntegrityException} instead of
 * reading it. Versions only grow through {@link #compareAndSet}, and the inner storage checks them
 * against its own witness ({@link RedisTokenStore}), so an entry rolled back whole (value and
 * version) is refused too. Versions and expiry are not secret and stay unencrypted.
 */
public final class EncryptedTokenStore implements TokenStore {
    private final TokenStore inner;
    private final Sealer sealer;

    public EncryptedTokenStore(TokenStore inner, CryptoEncryptor encryptor, Function<String, byte[]> aadFor) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.sealer = new Sealer(encryptor, aadFor);
    }

    @Override
    public Optional<Stored> get(String key) {
        return inner.get(key).map(s -> new Stored(sealer.open(key, s.value(), s.version()), s.version()));
    }

    @Override
    public boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite) {
        return inner.compareAndSet(seal(write, expectedVersion + 1), expectedVersion, alsoWrite.stream().map(p -> seal(p, 1)).toList());
    }

    @Override
    public void put(Put put) {
        inner.put(seal(put, 1));
    }

    @Override
    public void delete(String key) {
        inner.delete(key);
    }

    private Put seal(Put p, long version) {
        return new Put(p.key(), sealer.seal(p.key(), p.value(), version), p.expiresAt());
    }

    /** Encrypts a value bound to its key and version (the AAD), and opens it only under the same two. */
    static final class Sealer {
        private final CryptoEncryptor encryptor;
        private final Function<String, byte[]> aadFor;

        Sealer(CryptoEncryptor encryptor, Function<String, byte[]> aadFor) {
            this.encryptor = Objects.requireNonNull(encryptor, "encryptor");
            this.aadFor = Objects.requireNonNull(aadFor, "aadFor");
        }

        byte[] seal(String key, byte[] value, long version) {
            return encryptor.encrypt(value, aad(key, version));
        }

        /** @throws StorageIntegrityException when {@code sealed} does not authenticate under {@code key} and {@code version} */
        byte[] open(String key, byte[] sealed, long version) {
            try {
                return encryptor.decrypt(sealed, aad(key, version));
            } catch (CryptoException e) {
                if (e.reason() == CryptoException.Reason.DECRYPTION_FAILED || e.reason() == CryptoException.Reason.AAD_MISMATCH) {
                    throw new StorageIntegrityException("a stored entry does not authenticate under its key and version "
                            + version + " (tampered, copied or rolled back)", e);
                }
                throw e;
            }
        }

        private byte[] aad(String key, long version) {
            byte[] base = aadFor.apply(key);
            byte[] suffix = ("\nv=" + version).getBytes(StandardCharsets.US_ASCII);
            byte[] out = Arrays.copyOf(base, base.length + suffix.length);
            System.arraycopy(suffix, 0, out, base.length, suffix.length);
            return out;
        }
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return "EncryptedTokenStore[" + inner + "]";
    }
}
