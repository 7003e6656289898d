package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an operation against the crypto service and, only when the service is unavailable, a
 * local alternative instead. "Unavailable" means exactly {@code CRYPTO_SERVICE_UNAVAILABLE}: the
 * circuit breaker is open, or a transient failure (UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, a lost connection) outlasted the retries. Every other failure — a caller
 * error, a missing or disabled key, a rejected signature, the client's own rate limit — is
 * rethrown unchanged: a fallback must never hide a mistake or a refusal.
 *
 * <p>Each use increments {@code keyline_client_fallback_total{operation,error_code}} and logs one
 * WARN line with the operation, the failure's code and the correlation id.
 *
 * <p>The client uses it for encrypt, sign and data keys with its local fallback keys. Never use it
 * to turn a verification that could not run into a success: a fallback for "verify" may only
 * verify by other means or fail. Services can use it for their own degradations (for example
 * keeping a cache entry unencrypted).
 */
public final class FallbackHandler {
    private static final Logger LOG = LoggerFactory.getLogger(FallbackHandler.class);

    private final ClientMetrics metrics;

    /** Counts fallbacks in {@code registry}, tagged {@code client=clientName}. */
    public FallbackHandler(MeterRegistry registry, String clientName) {
        this(new ClientMetrics(Objects.requireNonNull(registry, "registry"), Objects.requireNonNull(clientName, "clientName")));
    }

    FallbackHandler(ClientMetrics metrics) {
        this.metrics = metrics;
    }

    /** Whether {@code e} lets a fallback run: only {@code CRYPTO_SERVICE_UNAVAILABLE}. */
    public static boolean eligible(CryptoException e) {
        return e.reason() == Reason.CRYPTO_SERVICE_UNAVAILABLE;
    }

    /**
     * {@code primary}'s result; or, when it fails with {@code CRYPTO_SERVICE_UNAVAILABLE},
     * {@code fallback}'s, after counting and logging the fallback. If the fallback fails too, its
     * exception is thrown with the primary failure attached as suppressed.
     */
    public <T> T withFallback(String operation, Supplier<T> primary, Supplier<T> fallback) {
        RequestContext ctx = RequestContext.current();
        return withFallback(operation, ctx.correlationId(), ctx.traceId(), primary, fallback);
    }

    <T> T withFallback(String operation, String correlationId, String traceId, Supplier<T> primary, Supplier<T> fallback) {
        try {
            return primary.get();
        } catch (CryptoException e) {
            if (!eligible(e)) {
                throw e;
            }
            String cid = e.correlationId().isEmpty() ? correlationId : e.correlationId();
            metrics.fallback(operation, e.reason().name());
            LOG.atWarn()
                    .addKeyValue("operation", operation)
                    .addKeyValue("error_code", e.reason().name())
                    .addKeyValue("correlation_id", cid)
                    .addKeyValue("trace_id", traceId)
                    .addKeyValue("fallback", true)
                    .log("crypto service unavailable; using the local fallback for {}", operation);
            try {
                return fallback.get();
            } catch (RuntimeException f) {
                f.addSuppressed(e);
                throw f;
            }
        }
    }
}
