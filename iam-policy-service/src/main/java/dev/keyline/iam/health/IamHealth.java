package dev.keyline.iam.health;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.HealthStatus;
import dev.keyline.iam.cache.CacheStorage;
import dev.keyline.iam.policy.PolicyEngine;
import dev.keyline.iam.policy.PolicySetInfo;
import dev.keyline.kit.Health;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Computes the service's {@link Health} (the kit's, the same shape as the other services'): {@code policies} (a set is always in force once started),
 * {@code crypto_service} and {@code decision_cache_l2}.
 *
 * <p>The service decides without the crypto service and without L2, so their outage is
 * {@link Health.Status#DEGRADED}, never DOWN (the seed's property I11): decisions go on, unsigned,
 * with L2 entries in plaintext or not stored, and L1 only while L2 is down.
 */
public final class IamHealth {
    private final PolicyEngine engine;
    private final Optional<CryptoClient> crypto;
    private final Optional<CacheStorage> l2;

    public IamHealth(PolicyEngine engine, Optional<CryptoClient> crypto, Optional<CacheStorage> l2) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.crypto = Objects.requireNonNull(crypto, "crypto");
        this.l2 = Objects.requireNonNull(l2, "l2");
    }

    public Health check() {
        Map<String, Health.Check> checks = new LinkedHashMap<>();
        PolicySetInfo info = engine.current();
        checks.put("policies", new Health.Check(Health.Status.UP, "version " + info.version() + ", " + info.policyIds().size() + " policies"));
        checks.put("crypto_service", crypto.map(IamHealth::crypto).orElse(new Health.Check(Health.Status.UP,
                "not used (crypto integration off: no signing, no L2 encryption)")));
        // Unauthenticated: states only, never hosts, ports, prefixes or client error text.
        checks.put("decision_cache_l2", l2.map(s -> s.ping() ? new Health.Check(Health.Status.UP, "answers")
                : new Health.Check(Health.Status.DEGRADED, "does not answer; using L1 only")).orElse(
                new Health.Check(Health.Status.UP, "off (L1 only)")));
        return Health.of(checks);
    }

    private static Health.Check crypto(CryptoClient client) {
        HealthStatus h = client.healthCheck();
        if (h.status() == HealthStatus.Status.UP) {
            return new Health.Check(Health.Status.UP, "answers");
        }
        // Whatever the client thinks, this service can go on: decisions unsigned, cache per the fallback mode. The
        // client's detail (endpoints, causes) is not for an unauthenticated endpoint.
        return new Health.Check(Health.Status.DEGRADED, "unavailable (circuit " + h.circuit() + "); decisions continue unsigned");
    }
}
