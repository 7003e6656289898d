package dev.keyline.crypto.service.keys;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A named key and all its versions: which one is primary, which may still decrypt and verify,
 * and the lifecycle of the whole. Immutable: every change returns a new ring with a higher
 * {@link #revision()}, which the store uses for optimistic concurrency.
 */
public final class KeyRing {
    private final KeyId name;
    private final KeyAlgorithm algorithm;
    private final KeyState state;
    private final int primaryVersion;
    private final int minDecryptionVersion;
    private final Duration rotationPeriod;
    private final Instant createdAt;
    private final Instant rotatedAt;
    private final Instant deletionAt;
    private final long revision;
    private final List<KeyVersion> versions;
    /** {@code name} with the primary version, built once: every encrypt and sign names it. */
    private final KeyId primaryId;

    public KeyRing(KeyId name, KeyAlgorithm algorithm, KeyState state, int primaryVersion, int minDecryptionVersion,
            Duration rotationPeriod, Instant createdAt, Instant rotatedAt, Instant deletionAt, long revision,
            List<KeyVersion> versions) {
        this.name = Objects.requireNonNull(name).unversioned();
        this.algorithm = Objects.requireNonNull(algorithm);
        this.state = Objects.requireNonNull(state);
        this.primaryVersion = primaryVersion;
        this.minDecryptionVersion = minDecryptionVersion;
        this.rotationPeriod = Objects.requireNonNull(rotationPeriod);
        this.createdAt = Objects.requireNonNull(createdAt);
        this.rotatedAt = Objects.requireNonNull(rotatedAt);
        this.deletionAt = deletionAt;
        this.revision = revision;
        this.versions = List.copyOf(versions);
        if (this.versions.isEmpty() || this.versions.get(this.versions.size() - 1).version() != primaryVersion) {
            throw new IllegalArgumentException("the primary must be the newest version");
        }
        for (int i = 0; i < this.versions.size(); i++) {
            if (this.versions.get(i).version() != i + 1) {
                throw new IllegalArgumentException("versions must be numbered 1..n");
            }
        }
        this.primaryId = this.name.withVersion(primaryVersion);
    }

    /** The key id of the primary version. */
    public KeyId primaryId() {
        return primaryId;
    }

    /** The key id of {@code version}. */
    public KeyId versionId(int version) {
        return version == primaryVersion ? primaryId : name.withVersion(version);
    }

    /** A new ring with version 1 holding {@code wrappedMaterial}. */
    public static KeyRing create(KeyId name, KeyAlgorithm algorithm, Duration rotationPeriod, Instant now,
            byte[] wrappedMaterial) {
        if (rotationPeriod.isNegative()) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "rotation_period must not be negative");
        }
        if (!rotationPeriod.isZero() && rotationPeriod.compareTo(Duration.ofHours(1)) < 0) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "rotation_period must be at least one hour");
        }
        return new KeyRing(name, algorithm, KeyState.ENABLED, 1, 1, rotationPeriod, now, now, null, 0,
                List.of(new KeyVersion(1, KeyState.ENABLED, now, null, wrappedMaterial)));
    }

    /** Adds a new primary version holding {@code wrappedMaterial}. Only an ENABLED key rotates. */
    public KeyRing rotate(Instant now, byte[] wrappedMaterial) {
        requireKeyState(KeyState.ENABLED, "rotate");
        List<KeyVersion> next = new ArrayList<>(versions);
        next.add(new KeyVersion(primaryVersion + 1, KeyState.ENABLED, now, null, wrappedMaterial));
        return new KeyRing(name, algorithm, state, primaryVersion + 1, minDecryptionVersion, rotationPeriod, createdAt,
                now, deletionAt, revision + 1, next);
    }

    /** Whether automatic rotation is due at {@code now}. */
    public boolean rotationDue(Instant now) {
        return state == KeyState.ENABLED && !rotationPeriod.isZero() && !rotatedAt.plus(rotationPeriod).isAfter(now);
    }

    /**
     * The version an operation uses; version 0 means the primary. Encrypt and data keys use the
     * primary only (naming an older version fails), so rotation retires a version for new
     * ciphertexts at once. Sign uses the primary unless the request names an older version, which
     * must be ENABLED and at or above {@link #minDecryptionVersion()}: a JWKS publishing a new
     * version before it signs needs the previous one to keep signing meanwhile (disable a version
     * to stop that). Decrypt and verify accept any ENABLED version at or above the minimum.
     */
    public KeyVersion versionFor(Operation op, int requestedVersion) {
        requireKeyState(KeyState.ENABLED, op.grantName());
        if (requestedVersion < 0 || requestedVersion > primaryVersion) {
            throw new CryptoException(Reason.KEY_NOT_FOUND, "key " + name.ringName() + " has no version " + requestedVersion);
        }
        int v = requestedVersion == 0 ? primaryVersion : requestedVersion;
        switch (op) {
            case ENCRYPT, DATA_KEY -> {
                if (v != primaryVersion) {
                    throw new CryptoException(Reason.KEY_STATE_INVALID,
                            "only the primary version " + primaryVersion + " of " + name.ringName() + " can " + op.grantName());
                }
            }
            case SIGN, DECRYPT, VERIFY -> {
                if (v < minDecryptionVersion) {
                    throw new CryptoException(Reason.KEY_STATE_INVALID, "version " + v + " of " + name.ringName()
                            + " is below min_decryption_version " + minDecryptionVersion);
                }
            }
            case MANAGE, READ -> { }
        }
        KeyVersion kv = versions.get(v - 1);
        if (kv.state() != KeyState.ENABLED) {
            throw new CryptoException(Reason.KEY_STATE_INVALID, "version " + v + " of " + name.ringName() + " is " + kv.state());
        }
        return kv;
    }

    /** Moves the key as a whole to {@code next}. PENDING_DELETION needs the date the material goes. */
    public KeyRing withState(KeyState next, Instant now, Duration deletionDelay) {
        if (!state.canMoveTo(next)) {
            throw new CryptoException(Reason.KEY_STATE_INVALID, "key " + name.ringName() + " cannot go from " + state + " to " + next);
        }
        Instant deletion = next == KeyState.PENDING_DELETION ? now.plus(deletionDelay) : null;
        List<KeyVersion> vs = versions;
        if (next == KeyState.DESTROYED) {
            vs = versions.stream().map(v -> v.withState(KeyState.DESTROYED, null)).toList();
        }
        return new KeyRing(name, algorithm, next, primaryVersion, minDecryptionVersion, rotationPeriod, createdAt, rotatedAt,
                deletion, revision + 1, vs);
    }

    /** Moves one version to {@code next}; the key as a whole keeps its state. */
    public KeyRing withVersionState(int version, KeyState next, Instant now, Duration deletionDelay) {
        if (version < 1 || version > primaryVersion) {
            throw new CryptoException(Reason.KEY_NOT_FOUND, "key " + name.ringName() + " has no version " + version);
        }
        KeyVersion current = versions.get(version - 1);
        if (!current.state().canMoveTo(next)) {
            throw new CryptoException(Reason.KEY_STATE_INVALID,
                    "version " + version + " of " + name.ringName() + " cannot go from " + current.state() + " to " + next);
        }
        List<KeyVersion> vs = new ArrayList<>(versions);
        vs.set(version - 1, current.withState(next, now.plus(deletionDelay)));
        return new KeyRing(name, algorithm, state, primaryVersion, minDecryptionVersion, rotationPeriod, createdAt, rotatedAt,
                deletionAt, revision + 1, vs);
    }

    /**
     * Raises the oldest version that may decrypt, verify and sign: versions below it are retired for
     * good. Never lowers it (KEY_STATE_INVALID: a retired version stays retired, so whoever raised it
     * can rely on that) and never above the primary (INVALID_ARGUMENT). Setting the current value
     * again changes nothing (and returns this ring).
     */
    public KeyRing withMinDecryptionVersion(int min) {
        if (min < 1 || min > primaryVersion) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "min_decryption_version of " + name.ringName() + " must be between 1 and the"
                    + " primary version " + primaryVersion + ", got " + min);
        }
        if (min < minDecryptionVersion) {
            throw new CryptoException(Reason.KEY_STATE_INVALID, "min_decryption_version of " + name.ringName() + " is " + minDecryptionVersion
                    + " and is never lowered (asked for " + min + ")");
        }
        if (min == minDecryptionVersion) {
            return this;
        }
        return new KeyRing(name, algorithm, state, primaryVersion, min, rotationPeriod, createdAt, rotatedAt, deletionAt,
                revision + 1, versions);
    }

    /** Destroys what is PENDING_DELETION with a date at or before {@code now}; empty when nothing is due. */
    public Optional<KeyRing> destroyDue(Instant now) {
        if (state == KeyState.PENDING_DELETION && deletionAt != null && !deletionAt.isAfter(now)) {
            return Optional.of(withState(KeyState.DESTROYED, now, Duration.ZERO));
        }
        boolean any = false;
        List<KeyVersion> vs = new ArrayList<>(versions);
        for (int i = 0; i < vs.size(); i++) {
            KeyVersion v = vs.get(i);
            if (v.state() == KeyState.PENDING_DELETION && v.deletionAt().map(d -> !d.isAfter(now)).orElse(false)) {
                vs.set(i, v.withState(KeyState.DESTROYED, null));
                any = true;
            }
        }
        if (!any) {
            return Optional.empty();
        }
        return Optional.of(new KeyRing(name, algorithm, state, primaryVersion, minDecryptionVersion, rotationPeriod, createdAt,
                rotatedAt, deletionAt, revision + 1, vs));
    }

    private void requireKeyState(KeyState required, String what) {
        if (state != required) {
            throw new CryptoException(Reason.KEY_STATE_INVALID, "key " + name.ringName() + " is " + state + "; cannot " + what);
        }
    }

    public KeyId name() {
        return name;
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    public KeyState state() {
        return state;
    }

    public int primaryVersion() {
        return primaryVersion;
    }

    public int minDecryptionVersion() {
        return minDecryptionVersion;
    }

    public Duration rotationPeriod() {
        return rotationPeriod;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant rotatedAt() {
        return rotatedAt;
    }

    public Optional<Instant> deletionAt() {
        return Optional.ofNullable(deletionAt);
    }

    public long revision() {
        return revision;
    }

    public List<KeyVersion> versions() {
        return versions;
    }

    public KeyVersion version(int v) {
        if (v < 1 || v > primaryVersion) {
            throw new CryptoException(Reason.KEY_NOT_FOUND, "key " + name.ringName() + " has no version " + v);
        }
        return versions.get(v - 1);
    }

    @Override
    public String toString() {
        return "KeyRing[" + name.ringName() + ", " + algorithm + ", " + state + ", primary=" + primaryVersion + "]";
    }
}
