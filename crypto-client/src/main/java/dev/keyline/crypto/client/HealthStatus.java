package dev.keyline.crypto.client;

import java.util.Objects;

/**
 * The client's view of the crypto service.
 *
 * @param status UP when the service answers; DEGRADED when it does not (or the circuit is open)
 *     but a fallback lets callers go on; DOWN when callers cannot go on
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
