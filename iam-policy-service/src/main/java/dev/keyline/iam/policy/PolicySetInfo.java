package dev.keyline.iam.policy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a loaded policy set is.
 *
 * @param version the first 16 hex digits of the SHA-256 of the source files (names and contents);
 *     part of every decision-cache key, so a new set never reuses an old set's cached decisions
 * @param policyIds the ids of its policies, sorted
 * @param entityCount how many entities (users, roles, ...) its {@code entities.json} defines
 * @param schemaValidated whether a {@code *.cedarschema} validated the policies and entities
 */
public record PolicySetInfo(String version, List<String> policyIds, int entityCount, boolean schemaValidated, Instant loadedAt) {
    public PolicySetInfo {
        Objects.requireNonNull(version, "version");
        policyIds = policyIds.stream().sorted().toList();
        Objects.requireNonNull(loadedAt, "loadedAt");
    }
}
