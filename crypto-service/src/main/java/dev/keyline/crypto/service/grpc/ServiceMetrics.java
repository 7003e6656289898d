package dev.keyline.crypto.service.grpc;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus metrics of the crypto service: {@code keyline_crypto_operations_total} by operation,
 * outcome and reason, and the {@code keyline_crypto_operation_seconds} latency histogram. Labels
 * hold operation names and reason codes only, never key material or payloads.
 */
public final class ServiceMetrics {
    private final MeterRegistry registry;
    /** A counter's labels; a record key avoids building a string per call. */
    private record Labels(String operation, String outcome, String reason) { }

    private final ConcurrentHashMap<Labels, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    public ServiceMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(String operation, String outcome, String reason, long nanos) {
        counters.computeIfAbsent(new Labels(operation, outcome, reason), k -> Counter.builder("keyline.crypto.operations")
                .description("Crypto service operations by outcome")
                .tag("operation", operation).tag("outcome", outcome).tag("reason", reason.isEmpty() ? "none" : reason)
                .register(registry)).increment();
        timers.computeIfAbsent(operation, k -> Timer.builder("keyline.crypto.operation")
                .description("Crypto service operation latency")
                .tag("operation", operation)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5))
                .register(registry)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public MeterRegistry registry() {
        return registry;
    }
}
