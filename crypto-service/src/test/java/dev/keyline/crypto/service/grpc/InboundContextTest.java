package dev.keyline.crypto.service.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import org.junit.jupiter.api.Test;

/** What a call's headers may put into the audit log as trace context, and what is dropped. */
class InboundContextTest {
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static Metadata headers(String traceparent, String tracestate) {
        Metadata m = new Metadata();
        if (traceparent != null) {
            m.put(InboundContext.TRACEPARENT, traceparent);
        }
        if (tracestate != null) {
            m.put(InboundContext.TRACESTATE, tracestate);
        }
        return m;
    }

    @Test
    void from_validTraceparentAndTracestate_keepsBoth() {
        InboundContext rc = InboundContext.from(headers(TRACEPARENT, "vendor=a,other=b"));

        assertThat(rc.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(rc.tracestate()).isEqualTo("vendor=a,other=b");
    }

    @Test
    void from_tracestateTooLongWithoutTraceparentOrWithABadOne_isDropped() {
        assertThat(InboundContext.from(headers(TRACEPARENT, "v=" + "x".repeat(511))).tracestate()).as("513 characters").isEmpty();
        assertThat(InboundContext.from(headers(TRACEPARENT, "v=" + "x".repeat(510))).tracestate()).as("512 characters").hasSize(512);
        assertThat(InboundContext.from(headers(null, "vendor=a")).tracestate()).as("no traceparent").isEmpty();
        assertThat(InboundContext.from(headers("00-" + "0".repeat(32) + "-00f067aa0ba902b7-01", "vendor=a")).tracestate())
                .as("invalid trace id").isEmpty();
    }
}
