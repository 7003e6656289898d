package dev.keyline.crypto.service.store;

import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.keys.KeyRing;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Durable storage of key rings. Material is stored only wrapped by the master key. Every write
 * is one transaction: a rotation either fully lands (new version and new primary) or not at all.
 */
public interface KeyStore extends AutoCloseable {
    /** Stores a new ring; fails with INVALID_ARGUMENT when the name is taken. */
    void create(KeyRing ring);

    Optional<KeyRing> find(KeyId name);

    /** Every ring of {@code namespace}, or of all namespaces when it is empty, ordered by name. */
    List<KeyRing> list(String namespace);

    /**
     * Replaces {@code expected} by {@code next} if nobody changed the ring since {@code expected}
     * was read (compare-and-set on the revision). Returns false when somebody did.
     */
    boolean update(KeyRing expected, KeyRing next);

    /**
     * Reserves the next up-to-{@code block} AES-GCM invocations of one concrete key version, so
     * that all replicas together never pass {@code limit}: the stored count rises by what is
     * granted, in one transaction. A process that crashes loses the unused rest of its block; the
     * count stays an upper bound. Granted 0 means the version is at its limit.
     */
    Reservation reserveEncryptions(KeyId version, long block, long limit);

    /** Encryptions {@code [start, start + granted)} of a version now belong to the caller. */
    record Reservation(long start, long granted) {
        public Reservation {
            if (start < 0 || granted < 0) {
                throw new IllegalArgumentException("a reservation is not negative");
            }
        }

        /** The stored count after this reservation. */
        public long total() {
            return start + granted;
        }
    }

    /** Whether the store answers. */
    boolean ping();

    /**
     * Runs {@code task} only if this process obtains the store-wide lock {@code name}
     * (a PostgreSQL advisory lock; a process-local lock for an embedded store). Empty when
     * another holder has it.
     */
    <T> Optional<T> runExclusive(String name, Supplier<T> task);

    /** A short description for logs and health: the kind of database and where it is. */
    String describe();

    @Override
    void close();
}
