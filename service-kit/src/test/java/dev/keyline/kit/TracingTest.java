package dev.keyline.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.testing.OtlpReceiver;
import dev.keyline.testing.OtlpReceiver.ExportedSpan;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TracingTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @Test
    void serverSpan_withOtlpEndpoint_isExportedAsTheChildOfTheCallersSpanAndIsCurrentMeanwhile() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start()) {
            String currentTrace;
            String currentSpan;
            try (Tracing tracing = Tracing.fromSetting("KEYLINE_OTLP_ENDPOINT", receiver.endpoint(), "keyline-test-service")) {
                try (Tracing.ServerSpan span = tracing.serverSpan("POST /oauth2/token",
                        Map.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01", "tracestate", "vendor=x")::get)) {
                    currentTrace = Span.current().getSpanContext().getTraceId();
                    currentSpan = Span.current().getSpanContext().getSpanId();
                }
                assertThat(Span.current().getSpanContext().isValid()).as("closed: no longer current").isFalse();
            }
            List<ExportedSpan> spans = receiver.await(s -> !s.isEmpty(), Duration.ofSeconds(10));

            assertThat(receiver.rejected()).isEmpty();
            assertThat(currentTrace).isEqualTo(TRACE);
            assertThat(currentSpan).isNotEqualTo(CALLER_SPAN).hasSize(16);
            assertThat(spans).containsExactly(new ExportedSpan("keyline-test-service", TRACE, currentSpan, CALLER_SPAN, "POST /oauth2/token",
                    ExportedSpan.SERVER));
        }
    }

    @Test
    void serverSpan_callerDecidedNotToSample_isNotExported() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start()) {
            try (Tracing tracing = Tracing.fromSetting("KEYLINE_OTLP_ENDPOINT", receiver.endpoint(), "svc")) {
                try (Tracing.ServerSpan span = tracing.serverSpan("unsampled", Map.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-00")::get)) {
                    assertThat(Span.current().getSpanContext().getTraceId()).as("the trace still flows on").isEqualTo(TRACE);
                }
                try (Tracing.ServerSpan span = tracing.serverSpan("sampled", Map.<String, String>of()::get)) {
                    span.failed("KEY_NOT_FOUND");
                }
            }
            List<ExportedSpan> spans = receiver.await(s -> !s.isEmpty(), Duration.ofSeconds(10));

            assertThat(spans).extracting(ExportedSpan::name).containsExactly("sampled");
        }
    }

    @Test
    void serverSpan_malformedTraceparent_startsANewRootTrace() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start()) {
            try (Tracing tracing = Tracing.fromSetting("KEYLINE_OTLP_ENDPOINT", receiver.endpoint(), "svc")) {
                tracing.serverSpan("bad", Map.of("traceparent", "00-" + "0".repeat(32) + "-" + CALLER_SPAN + "-01")::get).close();
            }
            List<ExportedSpan> spans = receiver.await(s -> !s.isEmpty(), Duration.ofSeconds(10));

            assertThat(spans).hasSize(1);
            assertThat(spans.get(0).parentSpanId()).isEmpty();
            assertThat(spans.get(0).traceId()).isNotEqualTo("0".repeat(32)).hasSize(32);
        }
    }

    @Test
    void off_changesNothing_andTheCallersContextIsNotCurrent() {
        Tracing tracing = Tracing.fromSetting("KEYLINE_OTLP_ENDPOINT", " ", "svc");
        try (Tracing.ServerSpan span = tracing.serverSpan("x", Map.of("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01")::get)) {
            assertThat(Span.current().getSpanContext().isValid()).isFalse();
        }

        assertThat(tracing.enabled()).isFalse();
        assertThat(tracing).hasToString("Tracing[off]");
    }

    @Test
    void fromSetting_notAnHttpUrl_failsNamingTheSettingWithoutTheValue() {
        for (String bad : List.of("ftp://collector:4318", "127.0.0.1:4318", "http://", "http://user:secret@host:4318/?q=1", "http://a b")) {
            assertThatThrownBy(() -> Tracing.fromSetting("KEYLINE_OTLP_ENDPOINT", bad, "svc")).as(bad)
                    .isInstanceOf(dev.keyline.kit.config.ConfigException.class).hasMessageContaining("KEYLINE_OTLP_ENDPOINT: must be an http:// or https:// URL")
                    .hasMessageNotContaining("secret");
        }
        assertThat(Tracing.fromSetting("KEYLINE_OTLP_ENDPOINT", "https://collector.example:4318", "svc").enabled()).isTrue();
    }
}
