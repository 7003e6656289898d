package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
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
 * A caller's W3C trace context through {@code keyline up} as it runs: HTTP requests to the token
 * and IAM services with {@code traceparent}, {@code tracestate} and a correlation id reach the
 * crypto service, whose audit lines name the trace and the correlation id; the spans exported
 * over OTLP (to a collector on loopback) form one trace: the caller's span → the token or IAM
 * service's server span → the crypto service's server span.
 */
class TracingEndToEndTest {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";
    private static final String IAM_TRACE = "1af7651916cd43dd8448eb211c80319d";

    @TempDir
    Path dir;

    @Test
    void tokenAndIamRequests_withTraceContext_reachTheCryptoAuditLinesAndFormOneTraceEach() throws Exception {
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
                String accessToken = new com.fasterxml.jackson.databind.ObjectMapper().readTree(token.body()).get("access_token").asText();
                HttpResponse<String> decision = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(platform.iam().baseUrl() + "/v1/authorize"))
                        .header("authorization", "Bearer " + accessToken).header("content-type", "application/json")
                        .header("traceparent", "00-" + IAM_TRACE + "-" + CALLER_SPAN + "-01").header("x-correlation-id", correlation + "-iam")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":{\"type\":\"User\",\"id\":\"alice\"},\"action\":\"read\","
                                + "\"resource\":{\"type\":\"Document\",\"id\":\"roadmap\"}}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(decision.statusCode()).as(decision.body()).isEqualTo(200);
                assertThat(decision.body()).contains("\"signature\"");
                assertThat(platform.crypto().audit().flush(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            }
            List<String> signLines = Files.readAllLines(dir.resolve("audit.log")).stream()
                    .filter(l -> l.contains("\"trace_id\":\"" + TRACE + "\"")).toList();
            List<String> iamLines = Files.readAllLines(dir.resolve("audit.log")).stream()
                    .filter(l -> l.contains("\"trace_id\":\"" + IAM_TRACE + "\"")).toList();
            List<ExportedSpan> spans = collector.await(s -> s.stream().anyMatch(x -> x.traceId().equals(IAM_TRACE)
                    && x.service().equals(ServiceTracing.CRYPTO)), Duration.ofSeconds(10));

            assertThat(signLines).as("audit lines of the caller's trace").isNotEmpty()
                    .allMatch(l -> l.contains("\"correlation_id\":\"" + correlation + "\""))
                    .allMatch(l -> l.contains("\"tracestate\":\"caller=1\""), "the caller's tracestate");
            assertThat(signLines).anyMatch(l -> l.contains("Sign"));
            assertThat(iamLines).as("audit lines of the IAM request's trace").isNotEmpty()
                    .allMatch(l -> l.contains("\"correlation_id\":\"" + correlation + "-iam\""));
            assertThat(collector.rejected()).isEmpty();
            for (String[] hop : new String[][] {{TRACE, ServiceTracing.TOKEN, "POST /oauth2/token"}, {IAM_TRACE, ServiceTracing.IAM, "POST /v1/authorize"}}) {
                List<ExportedSpan> trace = spans.stream().filter(s -> s.traceId().equals(hop[0])).toList();
                ExportedSpan http = trace.stream().filter(s -> s.service().equals(hop[1])).findFirst().orElseThrow(
                        () -> new AssertionError("no " + hop[1] + " span in " + trace));
                List<ExportedSpan> crypto = trace.stream().filter(s -> s.service().equals(ServiceTracing.CRYPTO)).toList();

                assertThat(http.name()).isEqualTo(hop[2]);
                assertThat(http.kind()).isEqualTo(ExportedSpan.SERVER);
                assertThat(http.parentSpanId()).as("the HTTP span continues the caller's span").isEqualTo(CALLER_SPAN);
                assertThat(crypto).as("crypto-service spans of " + hop[1]).isNotEmpty()
                        .allMatch(s -> s.kind() == ExportedSpan.SERVER && s.name().startsWith("keyline.crypto.v1.CryptoService/"))
                        .allMatch(s -> s.parentSpanId().equals(http.spanId()), "children of the " + hop[1] + " span");
            }
        }
    }
}
