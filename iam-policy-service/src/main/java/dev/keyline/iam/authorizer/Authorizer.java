package dev.keyline.iam.authorizer;

import dev.keyline.iam.cache.CacheKey;
import dev.keyline.iam.cache.CacheKeys;
import dev.keyline.iam.cache.DecisionCache;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Decision;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.iam.policy.PolicyEngine;
import dev.keyline.iam.signing.DecisionClaims;
import dev.keyline.iam.signing.DecisionSigner;
import dev.keyline.iam.signing.SignedDecision;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Answers authorization requests: the decision cache first, the policy engine on a miss, then a
 * fresh decision (id, time) signed when signing is on. Nothing here needs the crypto service to
 * answer: without it, decisions are computed (or taken from L1) and returned unsigned.
 *
 * <p>The cache key includes the policy version in force when the lookup starts. If a reload lands
 * between the lookup and the evaluation, the evaluation (which names the version it used) is
 * stored under that version's key, so an entry always holds an evaluation of the version in its key.
 */
public final class Authorizer {
    private final PolicyEngine engine;
    private final DecisionCache cache;
    private final CacheKeys keys;
    private final Optional<DecisionSigner> signer;
    private final IamMetrics metrics;
    private final InstantSource clock;
    private final Supplier<UUID> ids;

    public Authorizer(PolicyEngine engine, DecisionCache cache, CacheKeys keys, Optional<DecisionSigner> signer, IamMetrics metrics,
            InstantSource clock, Supplier<UUID> ids) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ids = Objects.requireNonNull(ids, "ids");
    }

    public AuthorizationOutcome authorize(AuthorizationRequest request) {
        long start = System.nanoTime();
        CacheKey key = keys.keyFor(request, engine.current().version());
        Optional<DecisionCache.Hit> hit = cache.get(key);
        Evaluation evaluation;
        String level = "";
        if (hit.isPresent()) {
            evaluation = hit.get().evaluation();
            level = hit.get().level().name().toLowerCase(Locale.ROOT);
        } else {
            evaluation = engine.evaluate(request);
            if (!evaluation.policyVersion().equals(key.policyVersion())) {
                key = keys.keyFor(request, evaluation.policyVersion());
            }
            cache.put(key, evaluation);
        }
        Decision decision = Decision.of(request, evaluation, clock.instant(), ids.get());
        Optional<SignedDecision> signed = signer.flatMap(s -> s.sign(DecisionClaims.of(decision)));
        metrics.decision(decision.allowed(), hit.isPresent(), System.nanoTime() - start);
        return new AuthorizationOutcome(decision, hit.isPresent(), level, signed);
    }

    public PolicyEngine engine() {
        return engine;
    }

    public DecisionCache cache() {
        return cache;
    }

    public Optional<DecisionSigner> signer() {
        return signer;
    }
}
