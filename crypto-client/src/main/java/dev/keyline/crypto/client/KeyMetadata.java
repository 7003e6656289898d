package dev.keyline.crypto.client;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the crypto service says about a key: algorithm, state, versions and rotation settings.
 *
 * @param keyId the key with its primary version ({@code namespace/id/primary})
 * @param state the state of the key as a whole; each version has its own too
 * @param minDecryptionVersion versions below it no longer decrypt or verify
 * @param rotationPeriod {@link Duration#ZERO} when the key is not rotated on schedule
 */
public record KeyMetadata(KeyId keyId, KeyAlgorithm algorithm, KeyState state, int primaryVersion, List<VersionInfo> versions,
        Instant createdAt, Instant rotatedAt, int minDecryptionVersion, Duration rotationPeriod) {

    /** One version of a key. */
    public record VersionInfo(int version, KeyState state, Instant createdAt) {
        public VersionInfo {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(createdAt, "createdAt");
        }
    }

    public KeyMetadata {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(state, "state");
        versions = List.copyOf(versions);
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(rotatedAt, "rotatedAt");
        Objects.requireNonNull(rotationPeriod, "rotationPeriod");
    }

    /** {@code namespace/id}, the key regardless of version. */
    public String ringName() {
        return keyId.ringName();
    }

    public Optional<VersionInfo> version(int version) {
        for (VersionInfo v : versions) {
            if (v.version == version) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the primary version can make new ciphertexts or signatures: the key and its primary
     * version are both ENABLED.
     */
    public boolean primaryUsable() {
        return state == KeyState.ENABLED && version(primaryVersion).map(v -> v.state == KeyState.ENABLED).orElse(false);
    }

    /**
     * Whether {@code version} (0 = primary) can still decrypt or verify: the key and that version
     * are ENABLED and it is not below {@link #minDecryptionVersion}.
     */
    public boolean verifiableWith(int version) {
        int v = version == 0 ? primaryVersion : version;
        return state == KeyState.ENABLED && v >= Math.max(1, minDecryptionVersion)
                && version(v).map(i -> i.state == KeyState.ENABLED).orElse(false);
    }
}
