package dev.keyline.iam.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The embedded L2: the same semantics as Redis (bytes, per-entry TTL) in this process, bounded by
 * entry count. Time comes from the injected clock.
 */
public final class InMemoryCacheStorage implements CacheStorage {
    private record Entry(byte[] value, long ttlNanos) { }

    private final Cache<String, Entry> entries;
    private final long maxEntries;

    public InMemoryCacheStorage(long maxEntries, InstantSource clock) {
        this.maxEntries = maxEntries;
        this.entries = Caffeine.newBuilder().maximumSize(maxEntries).ticker(() -> nanos(clock.instant()))
                .expireAfter(new Expiry<String, Entry>() {
                    @Override
                    public long expireAfterCreate(String key, Entry e, long currentTime) {
                        return e.ttlNanos;
                    }

                    @Override
                    public long expireAfterUpdate(String key, Entry e, long currentTime, long currentDuration) {
                        return e.ttlNanos;
                    }

                    @Override
                    public long expireAfterRead(String key, Entry e, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                }).build();
    }

    @Override
    public Optional<byte[]> get(String key) {
        Entry e = entries.getIfPresent(key);
        return e == null ? Optional.empty() : Optional.of(e.value.clone());
    }

    @Override
    public void put(String key, byte[] value, Duration ttl) {
        entries.put(key, new Entry(value.clone(), ttl.toNanos()));
    }

    @Override
    public boolean ping() {
        return true;
    }

    @Override
    public String describe() {
        return "in-memory (at most " + maxEntries + " entries)";
    }

    @Override
    public void close() {
        entries.invalidateAll();
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
