package dev.keyline.iam.policy;

import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;

/**
 * Evaluates authorization requests against one complete, versioned policy set at a time.
 *
 * <p>Contract: every {@link #evaluate} uses exactly one policy set, from start to end, and the
 * returned {@link Evaluation#policyVersion()} names it; a {@link #reload} swaps the whole set at
 * once, so no evaluation ever sees part of one set and part of another. Implementations are
 * thread-safe.
 */
public interface PolicyEngine {

    /**
     * Evaluates {@code request}; deny by default. Fails with {@code INVALID_ARGUMENT} only when the
     * request cannot be expressed to the engine.
     */
    Evaluation evaluate(AuthorizationRequest request);

    /** The set in force now. */
    PolicySetInfo current();

    /**
     * Reads the policy source again. A valid, different source replaces the current set atomically;
     * an invalid one is refused with its problems, and the current set stays in force.
     */
    ReloadResult reload();
}
