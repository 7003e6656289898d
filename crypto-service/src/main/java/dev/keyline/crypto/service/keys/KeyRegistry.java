package dev.keyline.crypto.service.keys;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyMaterial;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.service.store.KeyStore;
import dev.keyline.crypto.service.store.MasterKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Every key ring of the service: creation, rotation and state changes (each one transaction in
 * the store), and the unwrapped material of the versions in use, cached in memory.
 *
 * <p>Rings are cached for {@code metadataTtl}: a replica sees another replica's rotation within
 * that time; a request for a version newer than the cached primary reloads at once. Unwrapped
 * material is cached for {@link KeyUsageLimits#materialTtl()}; a miss re-reads the ring from the
 * store before unwrapping, so a version disabled or destroyed on another replica stops working
 * here within that time even if the ring stays cached, and material of versions that are no
 * longer enabled leaves memory on the next read of its ring.
 *
 * <p>Every AES-GCM invocation (encrypt, data key) is counted per version (see {@link KeyUsageLimits}).
 */
public final class KeyRegistry {
    private static final int MAX_CAS_ATTEMPTS = 16;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KeyRegistry.class);

    private final KeyStore store;
    private final MasterKey masterKey;
    private final CryptoProviders providers;
    private final SecureRandom random;
    private final InstantSource clock;
    private final Duration metadataTtl;
    private final Duration deletionDelay;
    /** By unversioned key id. */
    private final ConcurrentHashMap<KeyId, CachedRing> rings = new ConcurrentHashMap<>();
    /** By concrete version's key id. */
    private final Cache<KeyId, KeyMaterial> materials;
    private final KeyUsageLimits limits;
    /** By concrete version's key id. */
    private final ConcurrentHashMap<KeyId, EncryptionBudget> budgets = new ConcurrentHashMap<>();

    private record CachedRing(KeyRing ring, long expiresAtMillis) { }

    /** A usable version of a key, its concrete key id and its material. */
    public record Resolved(KeyRing ring, KeyVersion version, KeyId keyId, KeyMaterial material) { }

    public KeyRegistry(KeyStore store, MasterKey masterKey, CryptoProviders providers, SecureRandom random, InstantSource clock,
            Duration metadataTtl, Duration deletionDelay) {
        this(store, masterKey, providers, random, clock, metadataTtl, deletionDelay, KeyUsageLimits.defaults());
    }

    public KeyRegistry(KeyStore store, MasterKey masterKey, CryptoProviders providers, SecureRandom random, InstantSource clock,
            Duration metadataTtl, Duration deletionDelay, KeyUsageLimits limits) {
        this.limits = limits;
        // The clock's time, so tests move material expiry with a mutable clock.
        this.materials = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(limits.materialTtl())
                .ticker(() -> clock.millis() * 1_000_000L).build();
        this.store = store;
        this.masterKey = masterKey;
        this.providers = providers;
        this.random = random;
        this.clock = clock;
        this.metadataTtl = metadataTtl;
        this.deletionDelay = deletionDelay;
    }

    public KeyRing create(KeyId name, KeyAlgorithm algorithm, Duration rotationPeriod) {
        if (name.version() != 0) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "a new key has no version in its name");
        }
        Instant now = stamp();
        KeyMaterial material = KeyMaterial.generate(algorithm, random, providers);
        byte[] wrapped = masterKey.wrap(name.withVersion(1), algorithm, material.serialize());
        KeyRing ring = KeyRing.create(name, algorithm, rotationPeriod, now, wrapped);
        store.create(ring);
        remember(ring);
        materials.put(name.withVersion(1), material);
        return ring;
    }

    /** Creates the key unless a key of that name exists; fails if the existing one has another algorithm. */
    public KeyRing ensure(KeyId name, KeyAlgorithm algorithm) {
        Optional<KeyRing> existing = store.find(name);
        if (existing.isPresent()) {
            if (existing.get().algorithm() != algorithm) {
                throw new CryptoException(Reason.ALGORITHM_MISMATCH,
                        "key " + name.ringName() + " exists with algorithm " + existing.get().algorithm() + ", not " + algorithm);
            }
            return existing.get();
        }
        try {
            return create(name, algorithm, Duration.ZERO);
        } catch (CryptoException e) {
            // Another replica created it between our read and our write.
            return store.find(name).orElseThrow(() -> e);
        }
    }

    /** Adds a new primary version in one transaction. */
    public KeyRing rotate(KeyId name) {
        return change(name, ring -> {
            KeyId next = ring.name().withVersion(ring.primaryVersion() + 1);
            KeyMaterial material = KeyMaterial.generate(ring.algorithm(), random, providers);
            return ring.rotate(stamp(), masterKey.wrap(next, ring.algorithm(), material.serialize()));
        });
    }

    /**
     * Changes the state of the key (version 0) or of one version. DESTROYED is reached only by
     * schedule: request PENDING_DELETION, which can be cancelled (DISABLED) until its date.
     */
    public KeyRing setState(KeyId id, KeyState state) {
        if (state == KeyState.DESTROYED) {
            throw new CryptoException(Reason.INVALID_ARGUMENT,
                    "keys are destroyed on schedule: set PENDING_DELETION (cancellable until its date) instead");
        }
        Instant now = stamp();
        KeyRing ring = change(id, r -> id.version() == 0
                ? r.withState(state, now, deletionDelay)
                : r.withVersionState(id.version(), state, now, deletionDelay));
        return ring;
    }

    public KeyRing setMinDecryptionVersion(KeyId id, int min) {
        return change(id, r -> r.withMinDecryptionVersion(min));
    }

    public KeyRing metadata(KeyId id) {
        return fresh(id);
    }

    public List<KeyRing> list(String namespace) {
        return store.list(namespace);
    }

    /** The version {@code op} uses for {@code id}, with its material, checked against state and limits. */
    public Resolved resolve(KeyId id, Operation op) {
        KeyRing ring = cached(id);
        if (id.version() > ring.primaryVersion()) {
            // Possibly a version another replica created after our cache was filled.
            ring = reload(id);
        }
        KeyVersion version = ring.versionFor(op, id.version());
        // A request for the concrete version (as decrypt and verify send) names it already.
        KeyId versioned = id.version() == version.version() ? id : ring.versionId(version.version());
        KeyMaterial material = materials.getIfPresent(versioned);
        if (material == null) {
            // Not cached (first use, or expired): decide on the stored state, not on a cached ring.
            ring = reload(id);
            version = ring.versionFor(op, id.version());
            versioned = ring.versionId(version.version());
            KeyRing finalRing = ring;
            KeyVersion finalVersion = version;
            material = materials.get(versioned, k -> unwrap(finalRing, finalVersion));
        }
        return new Resolved(ring, version, versioned, material);
    }

    /**
     * Counts one AES-GCM invocation with the version {@code r} names: refuses (KEY_STATE_INVALID)
     * at the limit and rotates the key once the version has made more than the rotation threshold.
     * No store access except once per reserved block. A request for the primary (version 0) that
     * meets a version at its limit re-reads the ring and uses a newer primary if there is one.
     */
    public Resolved countEncryption(KeyId requested, Operation op, Resolved r) {
        if (take(r)) {
            return r;
        }
        if (requested.version() == 0) {
            KeyRing ring = reload(requested);
            if (ring.primaryVersion() != r.version().version()) {
                Resolved newer = resolve(requested, op);
                if (take(newer)) {
                    return newer;
                }
                r = newer;
            }
        }
        throw new CryptoException(Reason.KEY_STATE_INVALID, "version " + r.keyId() + " has made its limit of " + limits.limit()
                + " encryptions (AES-GCM with random IVs); rotate the key");
    }

    private boolean take(Resolved r) {
        KeyId versionId = r.keyId();
        EncryptionBudget budget = budgets.computeIfAbsent(versionId, k -> new EncryptionBudget());
        return budget.take(() -> {
            KeyStore.Reservation got = store.reserveEncryptions(versionId, limits.countBlock(), limits.limit());
            if (got.total() > limits.rotateAfter()) {
                rotateFrom(r.ring().name(), versionId.version());
            }
            return got.granted();
        });
    }

    /** Rotates {@code name} unless its primary is already past {@code version} (another replica rotated). */
    private void rotateFrom(KeyId name, int version) {
        try {
            KeyRing after = change(name, ring -> ring.primaryVersion() != version || ring.state() != KeyState.ENABLED ? ring
                    : ring.rotate(stamp(), masterKey.wrap(ring.name().withVersion(version + 1), ring.algorithm(),
                            KeyMaterial.generate(ring.algorithm(), random, providers).serialize())));
            if (after.primaryVersion() > version) {
                LOG.info("rotated key {} to version {}: version {} passed {} encryptions", name.ringName(), after.primaryVersion(), version,
                        limits.rotateAfter());
            }
        } catch (CryptoException e) {
            // The encryption that triggered this still has its reserved count; the next block tries again.
            LOG.warn("could not rotate key {} past its encryption threshold: {}", name.ringName(), e.reason());
        }
    }

    private KeyMaterial unwrap(KeyRing ring, KeyVersion version) {
        KeyId versioned = ring.name().withVersion(version.version());
        byte[] wrapped = version.wrappedMaterial()
                .orElseThrow(() -> new CryptoException(Reason.KEY_STATE_INVALID, "version " + versioned + " is destroyed"));
        SecretBytes raw = masterKey.unwrap(versioned, ring.algorithm(), wrapped);
        try {
            return KeyMaterial.deserialize(ring.algorithm(), raw, providers);
        } finally {
            raw.destroy();
        }
    }

    /** Rotates every key whose rotation period has passed; returns the rotated names. */
    public List<KeyId> rotateDue() {
        Instant now = clock.instant();
        List<KeyId> rotated = new ArrayList<>();
        for (KeyRing ring : store.list("")) {
            if (ring.rotationDue(now)) {
                KeyRing after = change(ring.name(), r -> r.rotationDue(clock.instant())
                        ? r.rotate(stamp(), masterKey.wrap(r.name().withVersion(r.primaryVersion() + 1), r.algorithm(),
                                KeyMaterial.generate(r.algorithm(), random, providers).serialize()))
                        : r);
                if (after.primaryVersion() > ring.primaryVersion()) {
                    rotated.add(after.name().withVersion(after.primaryVersion()));
                }
            }
        }
        return rotated;
    }

    /** Destroys the material of every key and version whose deletion date has passed. */
    public List<KeyId> destroyDue() {
        Instant now = clock.instant();
        List<KeyId> destroyed = new ArrayList<>();
        for (KeyRing ring : store.list("")) {
            if (ring.destroyDue(now).isPresent()) {
                change(ring.name(), r -> r.destroyDue(clock.instant()).orElse(r));
                destroyed.add(ring.name());
            }
        }
        return destroyed;
    }

    private KeyRing change(KeyId id, UnaryOperator<KeyRing> f) {
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            KeyRing current = reload(id);
            KeyRing next = f.apply(current);
            if (next == current) {
                return current;
            }
            boolean stored;
            try {
                stored = store.update(current, next);
            } catch (CryptoException e) {
                if (e.reason() != Reason.KEY_STATE_INVALID) {
                    throw e;
                }
                stored = false;
            }
            if (stored) {
                remember(next);
                // Destroyed or disabled versions must not stay usable through the material cache.
                for (KeyVersion v : next.versions()) {
                    if (v.state() == KeyState.DESTROYED) {
                        materials.invalidate(next.name().withVersion(v.version()));
                    }
                }
                return next;
            }
        }
        throw new CryptoException(Reason.INTERNAL, "key " + id.ringName() + " kept changing concurrently; gave up");
    }

    /**
     * The time to record in a ring (created, rotated, deletion dates). The store keeps
     * milliseconds, so a ring stamped with the clock's full precision would read back different
     * from what the call that changed it answered.
     */
    private Instant stamp() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private KeyRing cached(KeyId id) {
        CachedRing c = rings.get(id.unversioned());
        if (c != null && c.expiresAtMillis > clock.millis()) {
            return c.ring;
        }
        return reload(id);
    }

    private KeyRing fresh(KeyId id) {
        KeyRing ring = reload(id);
        if (id.version() > ring.primaryVersion()) {
            throw new CryptoException(Reason.KEY_NOT_FOUND, "key " + id.ringName() + " has no version " + id.version());
        }
        return ring;
    }

    private KeyRing reload(KeyId id) {
        KeyRing ring = store.find(id.unversioned())
                .orElseThrow(() -> new CryptoException(Reason.KEY_NOT_FOUND, "key " + id.ringName() + " does not exist"));
        remember(ring);
        return ring;
    }

    private void remember(KeyRing ring) {
        // Material of versions that may no longer be used leaves memory as soon as a read shows it.
        if (ring.state() != KeyState.ENABLED) {
            for (KeyVersion v : ring.versions()) {
                materials.invalidate(ring.name().withVersion(v.version()));
            }
        } else {
            // Versions below min_decryption_version keep theirs: their public keys are still served.
            for (KeyVersion v : ring.versions()) {
                if (v.state() != KeyState.ENABLED) {
                    materials.invalidate(ring.name().withVersion(v.version()));
                }
            }
        }
        rings.merge(ring.name().unversioned(), new CachedRing(ring, clock.millis() + metadataTtl.toMillis()),
                (old, neu) -> old.ring.revision() > neu.ring.revision() ? old : neu);
    }

    public KeyStore store() {
        return store;
    }
}
