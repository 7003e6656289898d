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
