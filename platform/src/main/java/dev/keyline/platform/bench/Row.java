package dev.keyline.platform.bench;

import java.util.Objects;

/**
 * One measured line of a benchmark table.
 *
 * @param opsPerSecond calls (requests, RPCs, operations) completed per second
 * @param itemsPerSecond items per second: the same as {@code opsPerSecond} except for batch calls
 * @param p50Micros median latency of one call, or NaN when the benchmark does not time single calls
 * @param p99Micros 99th percentile latency, or NaN like {@code p50Micros}
 * @param errors calls that failed (including during the warm-up)
 */
record Row(String name, double opsPerSecond, double itemsPerSecond, double p50Micros, double p99Micros, long errors) {
    Row {
        Objects.requireNonNull(name, "name");
        if (errors < 0) {
            throw new IllegalArgumentException("errors must not be negative");
        }
    }

    boolean hasLatency() {
        return !Double.isNaN(p50Micros);
    }
}
