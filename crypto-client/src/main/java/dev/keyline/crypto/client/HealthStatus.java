package dev.keyline.crypto.client;

import java.util.Objects;

/**
 * The client's view of the crypto service.
 *
 * @param status UP when the service answers and the configured key is usable; DEGRADED when a
 *     fallback path lets callers go on: the service is unreachable (or the circuit is open) and
 *     fallback keys cover the enabled features or the caller has its own fallback; DOWN when
 *     callers cannot go on, including when the service answers but refuses the configured key
 *     (disabled, not allowed): a fallback stands in for an outage, never for a refusal (see
 *     {@link FallbackHandler}), so every call would fail even with fallback keys
 * @param circuit the circuit breaker's state when the check ran
 * @param detail one line for operators, never secret
 */
public record HealthStatus(Status status, CircuitState circuit, String detail) {
    /** Overall status, best first. */
    public enum Status { UP, DEGRADED, DOWN }

    /** The circuit breaker's state. */
    public enum CircuitState { CLOSED, OPEN, HALF_OPEN }

    public HealthStatus {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(circuit, "circuit");
        detail = detail == null ? "" : detail;
    }
}
