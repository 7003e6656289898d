package dev.keyline.crypto.service.keys;

import dev.keyline.crypto.core.keys.KeyState;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One version of a key: its state and its material wrapped by the master key (empty once
 * destroyed). The wrapped bytes are ciphertext, not secret, but never printed.
 */
public final class KeyVersion {
    private final int version;
    private final KeyState state;
    private final Instant createdAt;
    private final Instant deletionAt;
    private final byte[] wrappedMaterial;

    public KeyVersion(int version, KeyState state, Instant createdAt, Instant deletionAt, byte[] wrappedMaterial) {
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1");
        }
        this.version = version;
        this.state = Objects.requireNonNull(state);
        this.createdAt = Objects.requireNonNull(createdAt);
        this.deletionAt = deletionAt;
        this.wrappedMaterial = wrappedMaterial == null ? null : wrappedMaterial.clone();
        if (state == KeyState.DESTROYED && wrappedMaterial != null) {
            throw new IllegalArgumentException("a destroyed version keeps no material");
        }
        if (state != KeyState.DESTROYED && wrappedMaterial == null) {
            throw new IllegalArgumentException("a live version needs material");
        }
    }

    public int version() {
        return version;
    }

    public KeyState state() {
        return state;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Optional<Instant> deletionAt() {
        return Optional.ofNullable(deletionAt);
    }

    public Optional<byte[]> wrappedMaterial() {
        return wrappedMaterial == null ? Optional.empty() : Optional.of(wrappedMaterial.clone());
    }

    KeyVersion withState(KeyState next, Instant deletion) {
        if (next == KeyState.DESTROYED) {
            return new KeyVersion(version, next, createdAt, null, null);
        }
        return new KeyVersion(version, next, createdAt, next == KeyState.PENDING_DELETION ? deletion : null, wrappedMaterial);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyVersion v && version == v.version && state == v.state && createdAt.equals(v.createdAt)
                && Objects.equals(deletionAt, v.deletionAt) && Arrays.equals(wrappedMaterial, v.wrappedMaterial);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, state, createdAt);
    }

    @Override
    public String toString() {
        return "KeyVersion[" + version + ", " + state + "]";
    }
}
