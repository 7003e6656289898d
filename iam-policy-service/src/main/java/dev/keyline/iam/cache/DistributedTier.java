package dev.keyline.iam.cache;

import dev.keyline.iam.decision.Evaluation;
import java.util.Optional;

/**
 * The L2 level of the decision cache: shared between replicas when the storage is Redis. A
 * {@link #get} that cannot produce a trustworthy evaluation — absent, expired, malformed, failing
 * authentication, bound to another request or version, storage down — is a miss, never an error
 * and never a different evaluation.
 */
interface DistributedTier {

    Optional<Evaluation> get(CacheKey key);

    void put(CacheKey key, Evaluation evaluation);

    CacheStorage storage();
}
