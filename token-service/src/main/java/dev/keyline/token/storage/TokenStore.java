package dev.keyline.token.storage;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A key-value store with versioned entries and per-entry absolute expiry: the port behind token
 * families and the access-token deny list. {@link InMemoryTokenStore} is the one-process default,
 * {@link RedisTokenStore} the shared one for several replicas; {@link EncryptedTokenStore}
 * encrypts the values of either.
 *
 * <p>Every entry has a version, 1 when first written and one more on each
 * {@link #compareAndSet}. An expired entry is gone: {@link #get} does not return it and a
 * compare-and-set treats it as absent.
 */
public interface TokenStore extends AutoCloseable {

    /** A stored value and its version. */
    record Stored(byte[] value, long version) {
        public Stored {
            value = value.clone();
            if (version < 1) {
                throw new IllegalArgumentException("version must be at least 1");
            }
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Stored s && version == s.version && Arrays.equals(value, s.value);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(version) * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Stored[version=" + version + ", " + value.length + " bytes]";
        }
    }

    /** One entry to write: key, value, and when it expires. */
    record Put(String key, byte[] value, Instant expiresAt) {
        public Put {
            Objects.requireNonNull(key, "key");
            value = value.clone();
            Objects.requireNonNull(expiresAt, "expiresAt");
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && key.equals(p.key) && expiresAt.equals(p.expiresAt) && Arrays.equals(value, p.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, expiresAt, Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "Put[" + key + ", " + value.length + " bytes, expires " + expiresAt + "]";
        }
    }

    /** The live entry under {@code key}. */
    Optional<Stored> get(String key);

    /**
     * Atomically: when the entry under {@code write.key()} has version {@code expectedVersion}
     * ({@code 0}: there is no live entry), writes it with version {@code expectedVersion + 1} and
     * also writes every entry of {@code alsoWrite} (version 1, replacing whatever was there);
     * otherwise changes nothing. Returns whether it wrote. Of several concurrent calls with the same
     * expected version, at most one succeeds.
     */
    boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite);

    /** Writes {@code put} unconditionally (version 1). */
    void put(Put put);

    /** Removes {@code key}; absent keys are fine. */
    void delete(String key);

    @Override
    void close();
}
