package dev.keyline.crypto.service.audit;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One operation as the audit log records it. Holds names and outcomes only: never plaintext,
 * ciphertext, signatures or key material.
 *
 * @param items for a batch call, what its items did, grouped by key version, outcome and reason
 *     with a count each (empty for other calls): every key a batch used and every outcome it had
 *     is named, on the batch's one line
 * @param detail a sentence for the service's own events (audit log recovery, reopening); empty for calls
 * @param traceState the caller's W3C {@code tracestate} as it arrived with a valid {@code traceparent}
 *     (vendor trace data, printable ASCII, at most 512 characters); empty when none
 */
public record AuditEvent(Instant time, String caller, String operation, String keyId, String outcome, String reason,
        String correlationId, String traceId, long durationMicros, List<Item> items, String detail, String traceState) {

    /** Items of a batch with the same key version, outcome and reason. */
    public record Item(String keyId, String outcome, String reason, int count) {
        public Item {
            keyId = orEmpty(keyId);
            outcome = orEmpty(outcome);
            reason = orEmpty(reason);
        }
    }

    public AuditEvent {
        Objects.requireNonNull(time, "time");
        caller = orEmpty(caller);
        operation = orEmpty(operation);
        outcome = orEmpty(outcome);
        keyId = orEmpty(keyId);
        reason = orEmpty(reason);
        correlationId = orEmpty(correlationId);
        traceId = orEmpty(traceId);
        items = items == null ? List.of() : List.copyOf(items);
        detail = orEmpty(detail);
        traceState = orEmpty(traceState);
    }

    /** A call or a service event without a {@code tracestate}. */
    public AuditEvent(Instant time, String caller, String operation, String keyId, String outcome, String reason,
            String correlationId, String traceId, long durationMicros, List<Item> items, String detail) {
        this(time, caller, operation, keyId, outcome, reason, correlationId, traceId, durationMicros, items, detail, "");
    }

    /** A call, batch or not, with no detail. */
    public AuditEvent(Instant time, String caller, String operation, String keyId, String outcome, String reason,
            String correlationId, String traceId, long durationMicros, List<Item> items) {
        this(time, caller, operation, keyId, outcome, reason, correlationId, traceId, durationMicros, items, "", "");
    }

    /** A call that is not a batch. */
    public AuditEvent(Instant time, String caller, String operation, String keyId, String outcome, String reason,
            String correlationId, String traceId, long durationMicros) {
        this(time, caller, operation, keyId, outcome, reason, correlationId, traceId, durationMicros, List.of(), "", "");
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
