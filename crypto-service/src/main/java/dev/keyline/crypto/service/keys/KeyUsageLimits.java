package dev.keyline.crypto.service.keys;

import java.time.Duration;

/**
 * How long unwrapped key material stays cached, and how many AES-GCM invocations one key version
 * may make. With random 96-bit IVs, NIST SP 800-38D allows at most 2^32 invocations per key; a
 * version is rotated away from once it has made more than {@code rotateAfter}, and refuses to
 * encrypt at {@code limit}. Counts are reserved from the store {@code countBlock} at a time.
 *
 * @param materialTtl how long a replica keeps a version's unwrapped material before it re-reads the
 *     ring (and its state) from the store; bounds how long a version disabled or destroyed
 *     elsewhere stays usable here
 * @param rotateAfter the encryption count past which the primary version is rotated
 * @param limit the encryption count at which a version refuses (at most 2^32)
 * @param countBlock how many encryptions one store write reserves (a crash wastes at most one block)
 */
public record KeyUsageLimits(Duration materialTtl, long rotateAfter, long limit, long countBlock) {
    /** The NIST limit for AES-GCM with random 96-bit IVs. */
    public static final long NIST_GCM_LIMIT = 1L << 32;

    public KeyUsageLimits {
        if (materialTtl.isNegative() || materialTtl.isZero()) {
            throw new IllegalArgumentException("the material cache TTL must be positive");
        }
        if (limit < 1 || limit > NIST_GCM_LIMIT) {
            throw new IllegalArgumentException("the encryption limit must be between 1 and 2^32");
        }
        if (rotateAfter < 1 || rotateAfter > limit) {
            throw new IllegalArgumentException("rotate-after must be between 1 and the encryption limit");
        }
        if (countBlock < 1) {
            throw new IllegalArgumentException("the count block must be positive");
        }
    }

    /** Five minutes of material caching; rotate after 2^31 encryptions, refuse at 2^32; blocks of 2^20. */
    public static KeyUsageLimits defaults() {
        return new KeyUsageLimits(Duration.ofMinutes(5), 1L << 31, NIST_GCM_LIMIT, 1L << 20);
    }
}
