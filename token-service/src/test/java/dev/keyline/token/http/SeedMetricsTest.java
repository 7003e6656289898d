package dev.keyline.token.http;

import static dev.keyline.token.TokenServerFixture.SECRET;
import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.token.Http;
import dev.keyline.token.TokenServerFixture;
import dev.keyline.token.server.TokenServer;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the seeds name for the token service's crypto client — requests by operation
 * (sign, data keys), latency, errors, fallback, circuit state, caches — and the service's own
 * token counters, read from {@code /metrics} on the management port after each path ran, under
 * the {@code keyline_<service>_} scheme.
 */
class SeedMetricsTest {
    @TempDir
    Path dir;

    @Test
    void metrics_afterEveryCryptoPathRan_exposeEverySeedMetric() throws Exception {
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
                TokenServer server = TokenServerFixture.start(crypto, dir, b -> { })) {
            Http http = new Http(server.baseUrl());
            assertThat(clientCredentials(http, "svc", Map.of()).statusCode()).isEqualTo(200);             // sign
            HttpResponse<String> login = http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\"}", "Authorization",
                    Http.basic("login", SECRET));                                                          // envelope encrypt
            assertThat(login.statusCode()).as(login.body()).isEqualTo(201);
            HttpResponse<String> refreshed = http.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token",
                    "refresh_token", json(login).path("refresh_token").asText())), "Authorization", Http.basic("app", SECRET)); // decrypt
            assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
            crypto.stop();
            assertThat(clientCredentials(http, "svc", Map.of()).statusCode()).isEqualTo(200);             // fallback
            assertThat(json(http.get("/health")).path("status").asText()).isEqualTo("DEGRADED");          // health: error

            HttpResponse<String> metrics = new Http(server.managementUrl()).get("/metrics");

            assertThat(metrics.statusCode()).isEqualTo(200);
            // The fixture's client name; the envelope encryptor and the token fallback use the same label.
            String c = "client=\"token-service-test\"";
            List<String> seedMetrics = List.of(
                    "keyline_client_requests_total{" + c + ",error_code=\"none\",operation=\"sign\",outcome=\"success\"}",
                    "keyline_client_requests_total{" + c + ",error_code=\"none\",operation=\"generate_data_key\",outcome=\"success\"}",
                    "keyline_client_requests_total{" + c + ",error_code=\"CRYPTO_SERVICE_UNAVAILABLE\",operation=\"sign\",outcome=\"error\"}",
                    "keyline_client_requests_total{" + c + ",error_code=\"none\",operation=\"health_check\",outcome=\"degraded\"}",
                    "keyline_client_fallback_total{" + c + ",error_code=\"CRYPTO_SERVICE_UNAVAILABLE\",operation=\"sign_jwt\"}",
                    "keyline_client_request_seconds_bucket{" + c + ",operation=\"sign\"",
                    "keyline_client_retries_total{" + c,
                    "keyline_client_circuit_state{" + c + "}",
                    "keyline_client_cache_hits_total{cache=\"data_key\"," + c + "}",
                    "keyline_client_cache_hits_total{cache=\"data_key_decrypt\"," + c + "}",
                    "keyline_client_cache_hits_total{cache=\"key_metadata\"," + c + "}",
                    "keyline_client_data_keys_fetched_total{" + c + "}",
                    "keyline_token_access_tokens_total{signer=\"crypto\"}",
                    "keyline_token_access_tokens_total{signer=\"fallback\"}",
                    "keyline_token_refresh_total{outcome=\"rotated\"}",
                    "keyline_token_http_requests_seconds_count{route=\"token\",status=\"200\"}");
            assertThat(metrics.body()).contains(seedMetrics);
            assertThat(metrics.body()).as("one client label per service").doesNotContainPattern("keyline_client_[a-z_]+\\{[^}]*client=\"token-service\"");
            assertThat(metrics.body()).as("one naming scheme: no metric outside keyline_<service>_ but the JVM's and the process's")
                    .doesNotContainPattern("(?m)^(iam|token|crypto)_");
        }
    }
}
