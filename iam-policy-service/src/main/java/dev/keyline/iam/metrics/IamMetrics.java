package dev.keyline.iam.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The service's metrics, named as the seed names them. In Prometheus form:
 * <ul>
 *   <li>{@code keyline_iam_crypto_encrypt_total}, {@code keyline_iam_crypto_decrypt_total},
 *       {@code keyline_iam_crypto_sign_total}, {@code keyline_iam_crypto_verify_total} — by {@code status}
 *       ({@code success}, {@code failure}; verify also {@code invalid});</li>
 *   <li>{@code keyline_iam_crypto_latency_seconds} — histogram by {@code operation};</li>
 *   <li>{@code keyline_iam_crypto_errors_total} — by {@code operation} and {@code error_code};</li>
 *   <li>{@code keyline_iam_crypto_fallback_total} — by {@code operation}: the crypto service was
 *       unavailable and the service went on without it (plaintext or no L2 entry, unsigned decision);</li>
 *   <li>{@code keyline_iam_cache_requests_total} — by {@code level} ({@code l1}, {@code l2}) and
 *       {@code result} ({@code hit}, {@code miss});</li>
 *   <li>{@code keyline_iam_cache_errors_total} — L2 entries not used, by {@code reason};</li>
 *   <li>{@code keyline_iam_decisions_total} — by {@code outcome} ({@code allow}, {@code deny}) and {@code cached};</li>
 *   <li>{@code keyline_iam_decision_latency_seconds} — histogram of whole authorizations;</li>
 *   <li>{@code keyline_iam_policy_reloads_total} — by {@code result} ({@code loaded}, {@code unchanged}, {@code refused}).</li>
 * </ul>
 */
public final class IamMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public IamMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** One crypto operation ({@code encrypt}, {@code decrypt}, {@code sign}, {@code verify}) and how long it took. */
    public void crypto(String operation, String status, long nanos) {
        counter("keyline.iam.crypto." + operation, "status", status).increment();
        timer("keyline.iam.crypto.latency", "operation", operation).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void cryptoError(String operation, String errorCode) {
        counters.computeIfAbsent("keyline.iam.crypto.errors|" + operation + "|" + errorCode, k -> Counter.builder("keyline.iam.crypto.errors")
                .tag("operation", operation).tag("error_code", errorCode).register(registry)).increment();
    }

    public void fallback(String operation) {
        counter("keyline.iam.crypto.fallback", "operation", operation).increment();
    }

    public void cache(String level, boolean hit) {
        counters.computeIfAbsent("keyline.iam.cache.requests|" + level + "|" + hit, k -> Counter.builder("keyline.iam.cache.requests")
                .tag("level", level).tag("result", hit ? "hit" : "miss").register(registry)).increment();
    }

    public void cacheError(String reason) {
        counter("keyline.iam.cache.errors", "reason", reason).increment();
    }

    public void decision(boolean allowed, boolean cached, long nanos) {
        counters.computeIfAbsent("keyline.iam.decisions|" + allowed + "|" + cached, k -> Counter.builder("keyline.iam.decisions")
                .tag("outcome", allowed ? "allow" : "deny").tag("cached", String.valueOf(cached)).register(registry)).increment();
        timers.computeIfAbsent("keyline.iam.decision.latency", k -> Timer.builder("keyline.iam.decision.latency").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5)).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    public void reload(String result) {
        counter("keyline.iam.policy.reloads", "result", result).increment();
    }

    /** The current count of a counter with one tag, for tests and the benchmark; 0 when never incremented. */
    public double count(String name, String tag, String value) {
        Counter c = registry.find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    private Counter counter(String name, String tag, String value) {
        return counters.computeIfAbsent(name + "|" + tag + "|" + value, k -> Counter.builder(name).tag(tag, value).register(registry));
    }

    private Timer timer(String name, String tag, String value) {
        return timers.computeIfAbsent(name + "|" + tag + "|" + value, k -> Timer.builder(name).tag(tag, value).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10)).register(registry));
    }
}
