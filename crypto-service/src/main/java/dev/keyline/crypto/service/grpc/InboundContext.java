package dev.keyline.crypto.service.grpc;

import dev.keyline.crypto.core.CorrelationIds;
import io.grpc.Context;
import io.grpc.Metadata;
import java.util.regex.Pattern;

/**
 * What a request carries about where it comes from: the correlation id (generated when the
 * caller sent none) and the W3C trace context. Read from gRPC metadata by
 * {@link CallInterceptors}, available to the service through {@link #current()}.
 */
public record InboundContext(String correlationId, String traceparent, String tracestate, String traceId, String spanId) {
    public static final Metadata.Key<String> CORRELATION_ID = Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<InboundContext> KEY = Context.key("keyline-inbound-context");

    private static final Pattern TRACEPARENT_FORMAT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
    private static final dev.keyline.crypto.core.CharClass TRACESTATE_TEXT = dev.keyline.crypto.core.CharClass.printableAscii();
    private static final InboundContext NONE = new InboundContext("", "", "", "", "");

    public static InboundContext current() {
        InboundContext c = KEY.get();
        return c == null ? NONE : c;
    }

    /** Reads the context from request headers; malformed values are replaced, never trusted. */
    public static InboundContext from(Metadata headers) {
        String cid = headers.get(CORRELATION_ID);
        if (!CorrelationIds.isValid(cid)) {
            cid = CorrelationIds.newId();
        }
        String tp = headers.get(TRACEPARENT);
        String traceId = "";
        String spanId = "";
        if (tp != null) {
            var m = TRACEPARENT_FORMAT.matcher(tp.trim());
            if (m.matches() && !m.group(1).equals("0".repeat(32))) {
                traceId = m.group(1);
                spanId = m.group(2);
            } else {
                tp = "";
            }
        } else {
            tp = "";
        }
        String ts = headers.get(TRACESTATE);
        // Caller-supplied text that reaches the audit log: kept only beside a valid traceparent, printable ASCII, at
        // most 512 characters (what W3C asks propagators to carry at least); anything else is dropped.
        boolean keep = ts != null && !tp.isEmpty() && TRACESTATE_TEXT.matches(ts, 1, 512);
        return new InboundContext(cid, tp, keep ? ts : "", traceId, spanId);
    }
}
