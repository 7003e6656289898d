package dev.keyline.platform.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.testing.OtlpReceiver;
import dev.keyline.testing.OtlpReceiver.ExportedSpan;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller's W3C trace context through {@code keyline up} as it runs: an HTTP request with
 * {@code traceparent}, {@code tracestate} and a correlation id reaches the crypto service, whose
 * audit line names the trace and the correlation id, and whose exported span (OTLP, to a
 * collector on loopback) belongs to the caller's trace.
 */
class TracingEndToEndTest {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";

    @TempDir
    Path dir;

    @Test
    void tokenRequest_withTraceContext_reachesTheCryptoAuditLineAndTheExportedSpans() throws Exception {
        try (OtlpReceiver collector = OtlpReceiver.start()) {
            Map<String, String> env = Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_CRYPTO_GRPC_PORT", "0", "KEYLINE_CRYPTO_HTTP_PORT", "0",
                    "KEYLINE_TOKEN_HTTP_PORT", "0", "KEYLINE_IAM_HTTP_PORT", "0", "KEYLINE_TOKEN_SIGN_BATCH_LINGER", "PT0S",
                    ServiceTracing.SETTING, collector.endpoint());
            String correlation = "trace-e2e-" + System.nanoTime();
            try (EmbeddedPlatform platform = EmbeddedPlatform.start(Settings.of(env))) {
                String secret = Files.readString(platform.prepared().demoClientSecret()).trim();
                HttpResponse<String> token = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(platform.token().baseUrl() + "/oauth2/token"))
                        .header("authorization", "Basic " + Base64.getEncoder().encodeToString(("demo:" + secret).getBytes(StandardCharsets.UTF_8)))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("traceparent", "00-" + TRACE + "-" + CALLER_SPAN + "-01").header("tracestate", "caller=1")
                        .header("x-correlation-id", correlation)
                        .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
                assertThat(platform.crypto().audit().flush(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            }
            List<String> signLines = Files.readAllLines(dir.resolve("audit.log")).stream()
                    .filter(l -> l.contains("\"trace_id\":\"" + TRACE + "\"")).toList();
            List<ExportedSpan> spans = collector.await(s -> s.stream().anyMatch(x -> x.traceId().equals(TRACE)), Duration.ofSeconds(10));

            assertThat(signLines).as("audit lines of the caller's trace").isNotEmpty()
                    .allMatch(l -> l.contains("\"correlation_id\":\"" + correlation + "\""));
            assertThat(signLines).anyMatch(l -> l.contains("Sign"));
            assertThat(collector.rejected()).isEmpty();
            List<ExportedSpan> crypto = spans.stream().filter(s -> s.service().equals("keyline-crypto-service") && s.traceId().equals(TRACE))
                    .toList();
            assertThat(crypto).as("crypto-service spans in the caller's trace").isNotEmpty()
                    .allMatch(s -> s.kind() == ExportedSpan.SERVER && s.name().startsWith("keyline.crypto.v1.CryptoService/"));
        }
    }
}
