package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CharClass;
import dev.keyline.crypto.core.CorrelationIds;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Where a call comes from: the correlation id and the W3C trace context ({@code traceparent},
 * {@code tracestate}). The client sends them as the gRPC headers {@code x-correlation-id},
 * {@code traceparent} and {@code tracestate} on every call; the crypto service writes them into
 * its audit log, and every {@link CryptoException} the client throws carries the correlation id.
 *
 * <p>How the client finds the context of a call ({@link #current()}):
 * <ol>
 *   <li>trace context: the OpenTelemetry span of {@link Context#current()} when it is valid, else
 *       the trace context of the innermost {@link #with} scope on this thread;</li>
 *   <li>correlation id: the innermost {@link #with} scope, else the OpenTelemetry baggage entry
 *       {@value #BAGGAGE_CORRELATION_ID}; when neither has one the client makes a fresh id for the
 *       call.</li>
 * </ol>
 * Scopes are thread-local: they work on virtual threads, and do not follow work handed to other
 * threads (open a scope there too, as with OpenTelemetry's {@code Context.wrap}).
 */
public record RequestContext(String correlationId, String traceparent, String tracestate) {
    /** The OpenTelemetry baggage key read for a correlation id when no scope sets one. */
    public static final String BAGGAGE_CORRELATION_ID = "correlation_id";

    /** What the crypto service accepts unchanged as a correlation id (it replaces anything else). */
    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final CharClass TRACESTATE = CharClass.printableAscii();
    private static final RequestContext EMPTY = new RequestContext("", "", "");
    private static final ThreadLocal<RequestContext> SCOPE = new ThreadLocal<>();

    /** Checks the three values; empty strings mean "none". */
    public RequestContext {
        correlationId = correlationId == null ? "" : correlationId;
        traceparent = traceparent == null ? "" : traceparent;
        tracestate = tracestate == null ? "" : tracestate;
        if (!correlationId.isEmpty() && !CorrelationIds.isValid(correlationId)) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "correlation id must match [A-Za-z0-9._:-]{1,128}");
        }
        if (!traceparent.isEmpty()) {
            var m = TRACEPARENT.matcher(traceparent);
            if (!m.matches() || m.group(1).equals("0".repeat(32)) || m.group(2).equals("0".repeat(16))) {
                throw new CryptoException(Reason.INVALID_ARGUMENT, "traceparent must be a W3C traceparent (version-traceid-spanid-flags)");
            }
        }
        if (!TRACESTATE.matches(tracestate, 0, 512)) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "tracestate must be printable ASCII, at most 512 characters");
        }
        if (traceparent.isEmpty() && !tracestate.isEmpty()) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "tracestate needs a traceparent");
        }
    }

    /** A context with only a correlation id. */
    public static RequestContext of(String correlationId) {
        return new RequestContext(correlationId, "", "");
    }

    /** A context with a fresh random correlation id. */
    public static RequestContext newCorrelation() {
        return of(CorrelationIds.newId());
    }

    /** This context with a W3C trace context. */
    public RequestContext withTrace(String traceparent, String tracestate) {
        return new RequestContext(correlationId, traceparent, tracestate);
    }

    /** The 32-hex-digit trace id of {@link #traceparent()}, or empty. */
    public String traceId() {
        return traceparent.isEmpty() ? "" : traceparent.substring(3, 35);
    }

    /**
     * Makes {@code context} current on this thread until the returned scope is closed; scopes
     * nest, and closing one restores the context that was current before it.
     */
    public static Scope with(RequestContext context) {
        RequestContext previous = SCOPE.get();
        SCOPE.set(context);
        Thread owner = Thread.currentThread();
        return () -> {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("a RequestContext scope must be closed on the thread that opened it");
            }
            if (previous == null) {
                SCOPE.remove();
            } else {
                SCOPE.set(previous);
            }
        };
    }

    /** Runs {@code body} with {@code context} current and returns its result. */
    public static <T> T call(RequestContext context, Supplier<T> body) {
        Scope scope = with(context);
        try {
            return body.get();
        } finally {
            scope.close();
        }
    }

    /** Runs {@code body} with {@code context} current. */
    public static void run(RequestContext context, Runnable body) {
        Scope scope = with(context);
        try {
            body.run();
        } finally {
            scope.close();
        }
    }

    /**
     * The context a call made now on this thread would carry, before the client fills in a fresh
     * correlation id when none is set (see the class comment for the order of sources).
     */
    public static RequestContext current() {
        RequestContext explicit = SCOPE.get();
        RequestContext base = explicit == null ? EMPTY : explicit;
        Context otel = Context.current();
        String correlationId = base.correlationId;
        if (correlationId.isEmpty()) {
            String fromBaggage = Baggage.fromContext(otel).getEntryValue(BAGGAGE_CORRELATION_ID);
            if (CorrelationIds.isValid(fromBaggage)) {
                correlationId = fromBaggage;
            }
        }
        if (Span.fromContext(otel).getSpanContext().isValid()) {
            Map<String, String> carrier = new HashMap<>(4);
            W3CTraceContextPropagator.getInstance().inject(otel, carrier, (map, k, v) -> map.put(k, v));
            String tp = carrier.getOrDefault("traceparent", "");
            String ts = carrier.getOrDefault("tracestate", "");
            if (TRACEPARENT.matcher(tp).matches() && TRACESTATE.matches(ts, 0, 512)) {
                return new RequestContext(correlationId, tp, ts);
            }
        }
        return correlationId.equals(base.correlationId) ? base : new RequestContext(correlationId, base.traceparent, base.tracestate);
    }

    /** This context, with a fresh correlation id when it has none. */
    RequestContext withCorrelationIdOrNew() {
        return correlationId.isEmpty() ? new RequestContext(CorrelationIds.newId(), traceparent, tracestate) : this;
    }

    /** A scope opened by {@link #with}; close it on the same thread, once. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
