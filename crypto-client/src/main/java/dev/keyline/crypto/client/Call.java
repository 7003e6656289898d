package dev.keyline.crypto.client;

import dev.keyline.crypto.core.keys.KeyId;

/**
 * One call of the client's API while it runs: what the error log line and the metrics need to
 * know about it. Confined to the calling thread.
 */
final class Call {
    final String operation;
    final RequestContext context;
    /** The key the call is about; the concrete version once a response named it. */
    KeyId keyId;
    /** Attempts of the most recent RPC of this call (0 when none reached the network). */
    int attempts;
    boolean usedFallback;

    Call(String operation, KeyId keyId, RequestContext context) {
        this.operation = operation;
        this.keyId = keyId;
        this.context = context;
    }

    String correlationId() {
        return context.correlationId();
    }
}
