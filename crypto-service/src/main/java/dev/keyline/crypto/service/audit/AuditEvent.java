package dev.keyline.crypto.service.audit;

import java.time.Instant;

/**
 * One operation as the audit log records it. Holds names and outcomes only: never plaintext,
 * ciphertext, signatures or key material.
 */
public record AuditEvent(Instant time, String caller, String operation, String keyId, String outcome, String reason,
        String correlationId, String traceId, long durationMicros) {
    public AuditEvent {
        caller = orEmpty(caller);
        keyId = orEmpty(keyId);
        reason = orEmpty(reason);
        correlationId = orEmpty(correlationId);
        traceId = orEmpty(traceId);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
