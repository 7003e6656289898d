package dev.keyline.token.storage;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Token storage in this process's memory whose values are encrypted, or not, as a run-time flag
 * ({@code cache_encryption}, T11) says when each one is written. Every value carries its form in
 * a first byte, so after any switch the records written under either form stay readable: a sealed
 * one is opened exactly as by {@link EncryptedTokenStore} (AAD = key and version), a plain one is
 * returned as it is.
 *
 * <p>The form byte is trusted, so whoever writes the storage chooses the form. That is why this
 * store takes only an {@link InMemoryTokenStore}, which nothing but this process writes; shared
 * storage (Redis) is always an {@link EncryptedTokenStore}, which accepts nothing but envelopes,
 * and encryption cannot be switched off there.
 */
public final class SwitchableEncryptionStore implements TokenStore {
    private static final byte PLAIN = 0;
    private static final byte SEALED = 1;

    private final InMemoryTokenStore inner;
    private final EncryptedTokenStore.Sealer sealer;
    private final BooleanSupplier encrypt;

    /**
     * @param encrypt whether a value written now is encrypted (read once per write)
     */
    public SwitchableEncryptionStore(InMemoryTokenStore inner, CryptoEncryptor encryptor, Function<String, byte[]> aadFor,
            BooleanSupplier encrypt) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.sealer = new EncryptedTokenStore.Sealer(encryptor, aadFor);
        this.encrypt = Objects.requireNonNull(encrypt, "encrypt");
    }

    @Override
    public Optional<Stored> get(String key) {
        return inner.get(key).map(s -> new Stored(open(key, s), s.version()));
    }

    private byte[] open(String key, Stored s) {
        byte[] tagged = s.value();
        if (tagged.length == 0) {
            throw new StorageIntegrityException("a stored entry has no form byte");
        }
        byte[] body = Arrays.copyOfRange(tagged, 1, tagged.length);
        return switch (tagged[0]) {
            case PLAIN -> body;
            case SEALED -> sealer.open(key, body, s.version());
            default -> throw new StorageIntegrityException("a stored entry has an unknown form");
        };
    }

    @Override
    public boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite) {
        // One form for the whole write: the record and its extra entries are encrypted together or not at all.
        boolean sealed = encrypt.getAsBoolean();
        return inner.compareAndSet(tag(write, expectedVersion + 1, sealed), expectedVersion,
                alsoWrite.stream().map(p -> tag(p, 1, sealed)).toList());
    }

    @Override
    public void put(Put put) {
        inner.put(tag(put, 1, encrypt.getAsBoolean()));
    }

    private Put tag(Put p, long version, boolean sealed) {
        byte[] body = sealed ? sealer.seal(p.key(), p.value(), version) : p.value();
        byte[] tagged = new byte[body.length + 1];
        tagged[0] = sealed ? SEALED : PLAIN;
        System.arraycopy(body, 0, tagged, 1, body.length);
        return new Put(p.key(), tagged, p.expiresAt());
    }

    @Override
    public void delete(String key) {
        inner.delete(key);
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return "SwitchableEncryptionStore[" + inner + "]";
    }
}
