package dev.keyline.iam.cache;

import java.time.Duration;
import java.util.Optional;

/**
 * Where L2 entries live: bytes under string keys with a time to live. Implementations are
 * thread-safe, keep their own key prefix, and fail with {@code IamException(UNAVAILABLE)} when the
 * store cannot be reached (the cache then misses; decisions go on).
 */
public interface CacheStorage extends AutoCloseable {

    Optional<byte[]> get(String key);

    void put(String key, byte[] value, Duration ttl);

    /** Whether the store answers now. */
    boolean ping();

    /** One line for health output and logs, never secret. */
    String describe();

    @Override
    void close();
}
