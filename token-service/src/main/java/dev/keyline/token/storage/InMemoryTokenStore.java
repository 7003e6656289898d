package dev.keyline.token.storage;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link TokenStore} in this process's memory, for one replica (the embedded default). Reads are
 * lock-free; writes take one lock, so a compare-and-set and its extra writes are atomic together.
 * Expired entries are invisible at once and removed by {@link #purgeExpired()}, which the token
 * server runs periodically, and on {@link #put}s when the map has grown.
 */
public final class InMemoryTokenStore implements TokenStore {
    private record Entry(byte[] value, long version, Instant expiresAt) { }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final Object writeLock = new Object();

    public InMemoryTokenStore(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Optional<Stored> get(String key) {
        Entry e = entries.get(key);
        if (e == null || !clock.instant().isBefore(e.expiresAt)) {
            return Optional.empty();
        }
        return Optional.of(new Stored(e.value, e.version));
    }

    @Override
    public boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite) {
        synchronized (writeLock) {
            long current = get(write.key()).map(Stored::version).orElse(0L);
            if (current != expectedVersion) {
                return false;
            }
            entries.put(write.key(), new Entry(write.value(), expectedVersion + 1, write.expiresAt()));
            for (Put p : alsoWrite) {
                entries.put(p.key(), new Entry(p.value(), 1, p.expiresAt()));
            }
            return true;
        }
    }

    @Override
    public void put(Put put) {
        synchronized (writeLock) {
            entries.put(put.key(), new Entry(put.value(), 1, put.expiresAt()));
        }
    }

    @Override
    public void delete(String key) {
        synchronized (writeLock) {
            entries.remove(key);
        }
    }

    /** Drops every expired entry; returns how many. */
    public int purgeExpired() {
        Instant now = clock.instant();
        int[] removed = {0};
        synchronized (writeLock) {
            entries.entrySet().removeIf(e -> {
                boolean expired = !now.isBefore(e.getValue().expiresAt);
                if (expired) {
                    removed[0]++;
                }
                return expired;
            });
        }
        return removed[0];
    }

    /** Live and expired-but-not-purged entries. */
    public int size() {
        return entries.size();
    }

    @Override
    public void close() {
        entries.clear();
    }
}
