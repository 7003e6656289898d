package dev.keyline.iam.authorizer;

import dev.keyline.iam.cache.CacheKey;
import dev.keyline.iam.cache.CacheKeys;
import dev.keyline.iam.cache.DecisionCache;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Decision;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.iam.policy.PolicyEngine;
import dev.keyline.iam.signing.BoundDecisionClaims;
import dev.keyline.iam.signing.DecisionClaims;
import dev.keyline.iam.signing.DecisionSigner;
import dev.keyline.iam.signing.SignedDecision;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
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
    /** Default validity of a signed decision ({@code exp - iat}). */
    public static final Duration DEFAULT_DECISION_TTL = Duration.ofMinutes(5);
    /** The caller named in decisions made in-process, without an HTTP caller (benchmarks, tests). */
    public static final String LOCAL_CALLER = "local";

    private final PolicyEngine engine;
    private final DecisionCache cache;
    private final CacheKeys keys;
    private final Optional<DecisionSigner> signer;
    private final IamMetrics metrics;
    private final InstantSource clock;
    private final Supplier<UUID> ids;
    private final Duration decisionTtl;
    private final BooleanSupplier signing;

    public Authorizer(PolicyEngine engine, DecisionCache cache, CacheKeys keys, Optional<DecisionSigner> signer, IamMetrics metrics,
            InstantSource clock, Supplier<UUID> ids) {
        this(engine, cache, keys, signer, metrics, clock, ids, DEFAULT_DECISION_TTL);
    }

    public Authorizer(PolicyEngine engine, DecisionCache cache, CacheKeys keys, Optional<DecisionSigner> signer, IamMetrics metrics,
            InstantSource clock, Supplier<UUID> ids, Duration decisionTtl) {
        this(engine, cache, keys, signer, metrics, clock, ids, decisionTtl, () -> true);
    }

    /**
     * With {@code signing}, the run-time decision-signing flag: decisions are signed (by
     * {@code signer}, when present) only while it says so, read per request. Verification and the
     * decision JWKS do not depend on it: decisions signed before it was switched off still verify.
     */
    public Authorizer(PolicyEngine engine, DecisionCache cache, CacheKeys keys, Optional<DecisionSigner> signer, IamMetrics metrics,
            InstantSource clock, Supplier<UUID> ids, Duration decisionTtl, BooleanSupplier signing) {
        this.signing = Objects.requireNonNull(signing, "signing");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ids = Objects.requireNonNull(ids, "ids");
        this.decisionTtl = Objects.requireNonNull(decisionTtl, "decisionTtl");
        if (decisionTtl.toSeconds() < 1) {
            throw new IllegalArgumentException("decisionTtl must be at least one second");
        }
    }

    /** {@link #authorize(AuthorizationRequest, String)} for {@link #LOCAL_CALLER}. */
    public AuthorizationOutcome authorize(AuthorizationRequest request) {
        return authorize(request, LOCAL_CALLER);
    }

    /** One decision for {@code caller}, signed alone (one Sign call) when signing is on. */
    public AuthorizationOutcome authorize(AuthorizationRequest request, String caller) {
        long start = System.nanoTime();
        Unsigned u = decide(request, caller);
        Optional<SignedDecision> signed = activeSigner().flatMap(s -> s.sign(u.claims()));
        metrics.decision(u.decision().allowed(), u.cached(), System.nanoTime() - start);
        return new AuthorizationOutcome(u.decision(), u.cached(), u.level(), signed, u.claims());
    }

    /**
     * Decisions for every request, in order, signed together with one signature (one Sign call to
     * the crypto service, see {@code DecisionSigner#signBatch}); each still verifies on its own.
     */
    public List<AuthorizationOutcome> authorizeBatch(List<AuthorizationRequest> requests, String caller) {
        long start = System.nanoTime();
        List<Unsigned> decided = new ArrayList<>(requests.size());
        for (AuthorizationRequest r : requests) {
            decided.add(decide(r, caller));
        }
        Optional<List<SignedDecision>> signed = activeSigner().flatMap(s -> s.signBatch(decided.stream().map(Unsigned::claims).toList()));
        long each = (System.nanoTime() - start) / Math.max(1, requests.size());
        List<AuthorizationOutcome> out = new ArrayList<>(decided.size());
        for (int i = 0; i < decided.size(); i++) {
            Unsigned u = decided.get(i);
            metrics.decision(u.decision().allowed(), u.cached(), each);
            int at = i;
            out.add(new AuthorizationOutcome(u.decision(), u.cached(), u.level(), signed.map(l -> l.get(at)), u.claims()));
        }
        return out;
    }

    private record Unsigned(Decision decision, boolean cached, String level, BoundDecisionClaims claims) { }

    private Unsigned decide(AuthorizationRequest request, String caller) {
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
        long iat = decision.timestamp().getEpochSecond();
        BoundDecisionClaims claims = new BoundDecisionClaims(DecisionClaims.of(decision), caller, evaluation.policyVersion(),
                BoundDecisionClaims.digest(request), iat, iat + decisionTtl.toSeconds());
        return new Unsigned(decision, hit.isPresent(), level, claims);
    }

    public PolicyEngine engine() {
        return engine;
    }

    public DecisionCache cache() {
        return cache;
    }

    /** The signer that verifies decisions and publishes their keys, whether or not signing is now on. */
    public Optional<DecisionSigner> signer() {
        return signer;
    }

    /** Whether new decisions are signed now. */
    public boolean signing() {
        return signer.isPresent() && signing.getAsBoolean();
    }

    private Optional<DecisionSigner> activeSigner() {
        return signing.getAsBoolean() ? signer : Optional.empty();
    }
}
