package dev.keyline.crypto.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.signing.VerifyingKey;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.function.Supplier;

/**
 * The client's key caches (Caffeine). Metadata is kept per key ({@code namespace/id}) for the
 * configured TTL, and dropped at once when any response names a version newer than the cached
 * primary (a rotation seen elsewhere) or when the service rejects the key. Public keys are kept
 * per concrete version without expiry — the public key of a version never changes; whether the
 * version may still verify is read from the (expiring) metadata. Misses are single-flight.
 */
final class KeyCache {
    /** A public key as the service described it, parsed once. */
    record CachedPublicKey(PublicKeyInfo info, VerifyingKey key) { }

    /** By the unversioned key id (the key ring). */
    private final Cache<KeyId, KeyMetadata> metadata;
    /** By the concrete version's key id. */
    private final Cache<KeyId, CachedPublicKey> publicKeys;
    private final SingleFlight<KeyId, KeyMetadata> metadataLoads = new SingleFlight<>();
    private final SingleFlight<KeyId, CachedPublicKey> publicKeyLoads = new SingleFlight<>();
    private final Counter metadataHits;
    private final Counter metadataMisses;
    private final Counter publicKeyHits;
    private final Counter publicKeyMisses;

    KeyCache(Duration ttl, int maxEntries, InstantSource clock, ClientMetrics metrics) {
        this.metadataHits = metrics.cache("key_metadata", true);
        this.metadataMisses = metrics.cache("key_metadata", false);
        this.publicKeyHits = metrics.cache("public_key", true);
        this.publicKeyMisses = metrics.cache("public_key", false);
        Ticker ticker = () -> toNanos(clock.instant());
        this.metadata = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maxEntries).ticker(ticker).build();
        this.publicKeys = Caffeine.newBuilder().maximumSize(maxEntries).build();
    }

    private static long toNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** The cached metadata of {@code id}'s key, else what {@code load} fetches (then cached). */
    KeyMetadata metadata(KeyId id, String correlationId, Supplier<KeyMetadata> load) {
        KeyId ring = id.unversioned();
        KeyMetadata cached = metadata.getIfPresent(ring);
        (cached != null ? metadataHits : metadataMisses).increment();
        if (cached != null) {
            return cached;
        }
        return metadataLoads.load(ring, correlationId, () -> {
            KeyMetadata raced = metadata.getIfPresent(ring);
            if (raced != null) {
                return raced;
            }
            KeyMetadata fresh = load.get();
            metadata.put(ring, fresh);
            return fresh;
        });
    }

    void put(KeyMetadata m) {
        metadata.put(m.keyId().unversioned(), m);
    }

    void invalidate(KeyId id) {
        metadata.invalidate(id.unversioned());
    }

    /**
     * Notes that a response named the concrete version {@code used}: a version newer than the
     * cached primary means the key was rotated, so its cached metadata is dropped.
     */
    void observe(KeyId used) {
        KeyId ring = used.unversioned();
        KeyMetadata cached = metadata.getIfPresent(ring);
        if (cached != null && used.version() > cached.primaryVersion()) {
            metadata.invalidate(ring);
        }
    }

    /** The public key of the concrete version {@code id}, else what {@code load} fetches (then cached). */
    CachedPublicKey publicKey(KeyId id, String correlationId, Supplier<CachedPublicKey> load) {
        KeyId key = id;
        CachedPublicKey cached = publicKeys.getIfPresent(key);
        (cached != null ? publicKeyHits : publicKeyMisses).increment();
        if (cached != null) {
            return cached;
        }
        return publicKeyLoads.load(key, correlationId, () -> {
            CachedPublicKey raced = publicKeys.getIfPresent(key);
            if (raced != null) {
                return raced;
            }
            CachedPublicKey fresh = load.get();
            publicKeys.put(key, fresh);
            return fresh;
        });
    }
}
