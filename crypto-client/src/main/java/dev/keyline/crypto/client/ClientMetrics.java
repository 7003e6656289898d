package dev.keyline.crypto.client;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The client's meters, named for Prometheus ({@code keyline_client_*} once exported), all tagged
 * {@code client}. Never tagged with anything secret or unbounded (no key material, no payloads,
 * no correlation ids).
 *
 * <ul>
 *   <li>{@code keyline_client_requests_total{operation,outcome,error_code}}: outcome is
 *       {@code success}, {@code fallback} or {@code error} ({@code up}, {@code degraded} or
 *       {@code down} for {@code health_check}); error_code is a reason code or {@code none}</li>
 *   <li>{@code keyline_client_request_seconds{operation,outcome}}: latency histogram</li>
 *   <li>{@code keyline_client_retries_total{operation}}</li>
 *   <li>{@code keyline_client_fallback_total{operation,error_code}}</li>
 *   <li>{@code keyline_client_rate_limited_total{operation}}</li>
 *   <li>{@code keyline_client_circuit_state}: 0 closed, 1 open, 2 half-open, 3 other</li>
 *   <li>{@code keyline_client_cache_hits_total{cache}} and {@code keyline_client_cache_misses_total{cache}}
 *       for {@code key_metadata}, {@code public_key}, {@code data_key} and {@code data_key_decrypt}</li>
 *   <li>{@code keyline_client_data_keys_fetched_total}</li>
 *   <li>{@code keyline_client_sign_batch_size}: sign calls per BatchSign RPC, when sign batching is on</li>
 * </ul>
 */
final class ClientMetrics {
    private final MeterRegistry registry;
    private final String client;
    /** Meters by name and tag values; a record key avoids building strings on the hot path. */
    private record Key(String name, String a, String b, String c) { }

    private final ConcurrentHashMap<Key, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, Timer> timers = new ConcurrentHashMap<>();
    private volatile DistributionSummary signBatchSize;

    ClientMetrics(MeterRegistry registry, String client) {
        this.registry = registry;
        this.client = client;
    }

    MeterRegistry registry() {
        return registry;
    }

    void request(String operation, String outcome, String errorCode, long nanos) {
        counters.computeIfAbsent(new Key("keyline.client.requests", operation, outcome, errorCode),
                k -> counterOf(k.name(), "operation", operation, "outcome", outcome, "error_code", errorCode)).increment();
        timers.computeIfAbsent(new Key("keyline.client.request", operation, outcome, ""), k -> Timer.builder("keyline.client.request")
                .description("Latency of crypto client calls, retries and fallback included")
                .tags("client", client, "operation", operation, "outcome", outcome)
                .publishPercentileHistogram()
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    void retries(String operation, int n) {
        if (n > 0) {
            counters.computeIfAbsent(new Key("keyline.client.retries", operation, "", ""),
                    k -> counterOf(k.name(), "operation", operation)).increment(n);
        }
    }

    void fallback(String operation, String errorCode) {
        counters.computeIfAbsent(new Key("keyline.client.fallback", operation, errorCode, ""),
                k -> counterOf(k.name(), "operation", operation, "error_code", errorCode)).increment();
    }

    void rateLimited(String operation) {
        counters.computeIfAbsent(new Key("keyline.client.rate.limited", operation, "", ""),
                k -> counterOf(k.name(), "operation", operation)).increment();
    }

    /** The hit or miss counter of {@code cache}; callers on hot paths keep it. */
    Counter cache(String cache, boolean hit) {
        String name = hit ? "keyline.client.cache.hits" : "keyline.client.cache.misses";
        return counters.computeIfAbsent(new Key(name, cache, "", ""), k -> counterOf(name, "cache", cache));
    }

    void dataKeyFetched() {
        counters.computeIfAbsent(new Key("keyline.client.data.keys.fetched", "", "", ""), k -> counterOf(k.name())).increment();
    }

    void signBatch(int items) {
        DistributionSummary s = signBatchSize;
        if (s == null) {
            // Registering twice returns the same meter, so a race here is harmless.
            s = DistributionSummary.builder("keyline.client.sign.batch.size").description("Sign calls coalesced into one BatchSign RPC")
                    .tag("client", client).register(registry);
            signBatchSize = s;
        }
        s.record(items);
    }

    void circuit(CircuitBreaker breaker) {
        Gauge.builder("keyline.client.circuit.state", breaker, b -> switch (b.getState()) {
                    case CLOSED -> 0;
                    case OPEN, FORCED_OPEN -> 1;
                    case HALF_OPEN -> 2;
                    default -> 3;
                })
                .description("Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 other")
                .tag("client", client)
                .strongReference(true)
                .register(registry);
    }

    private Counter counterOf(String name, String... tags) {
        return Counter.builder(name).tag("client", client).tags(tags).register(registry);
    }
}
