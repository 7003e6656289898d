package dev.keyline.iam.cache;

import dev.keyline.iam.decision.CanonicalBytes;
import java.util.Objects;

/**
 * Where one request's evaluation under one policy version is cached, and what its cached entry is
 * bound to.
 *
 * @param digest HMAC-SHA256 (hex) of the canonical request and the policy version, under the
 *     service's cache key: the only thing that names the entry in L1 and L2 storage, so no subject
 *     or resource id appears in clear in Redis, and entries cannot be found by guessing ids
 */
public record CacheKey(String digest, String subjectType, String subjectId, String resourceType, String resourceId, String action,
        String policyVersion) {
    private static final String AAD_LABEL = "keyline-iam-decision-cache-v1";

    public CacheKey {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(subjectType, "subjectType");
        Objects.requireNonNull(subjectId, "subjectId");
        Objects.requireNonNull(resourceType, "resourceType");
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(policyVersion, "policyVersion");
    }

    /**
     * The associated data an encrypted entry is bound to: the subject (type and id), the resource
     * (type and id), the action, the policy version, the entry's digest and its validity period.
     * An entry decrypted for any other request, version or period fails authentication: a miss.
     */
    public byte[] aad(long cachedAtMillis, long expiresAtMillis) {
        return CanonicalBytes.builder().text(AAD_LABEL).text(subjectType).text(subjectId).text(resourceType).text(resourceId)
                .text(action).text(policyVersion).text(digest).int64(cachedAtMillis).int64(expiresAtMillis).build();
    }

    @Override
    public String toString() {
        // Ids stay out of logs by default; the digest identifies the entry.
        return "CacheKey[" + digest.substring(0, 16) + "…, policy " + policyVersion + "]";
    }
}
