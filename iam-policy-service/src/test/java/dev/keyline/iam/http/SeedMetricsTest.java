package dev.keyline.iam.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the seeds name, read from the running service's {@code /metrics} on its management
 * port after each path that feeds it ran: encrypt, decrypt (an L2 hit), sign, verify, their
 * latency, errors, fallback (the crypto service stopped), and the embedded client's requests,
 * latency, errors, circuit state and caches — all under the {@code keyline_<service>_} scheme.
 */
class SeedMetricsTest {
    @TempDir
    Path tmp;

    private static ObjectNode request(String resourceId) {
        ObjectNode n = Http.JSON.createObjectNode();
        n.putObject("subject").put("type", "User").put("id", "carol");
        n.put("action", "read");
        n.putObject("resource").put("type", "Document").put("id", resourceId);
        return n;
    }

    @Test
    void metrics_afterEveryCryptoPathRan_exposeEverySeedMetric() {
        try (IamFixture f = IamFixture.start(tmp, "seed-metrics")) {
            JsonNode decision = f.http.post("/v1/authorize", request("roadmap")).body();      // encrypt + sign
            f.iam.authorizer().cache().clearL1();
            assertThat(f.http.post("/v1/authorize", request("roadmap")).body().get("cached").asBoolean()).isTrue(); // L2: decrypt
            assertThat(f.http.post("/v1/decisions/verify", decision).body().get("valid").asBoolean()).isTrue();   // verify
            ObjectNode unknownVersion = ((ObjectNode) decision.deepCopy()).put("key_id", "iam/decision-signing/99");
            assertThat(f.http.post("/v1/decisions/verify", unknownVersion).body().get("valid").asBoolean()).isFalse(); // error
            f.crypto.stop();
            // Fallback: unsigned (the data key in memory still encrypts the L2 entry locally).
            JsonNode unsigned = f.http.post("/v1/authorize", request("handbook")).body();
            assertThat(unsigned.has("signature")).as("decided without the crypto service").isFalse();

            Http.Response metrics = new Http(f.iam.managementUrl().orElseThrow()).get("/metrics");

            assertThat(metrics.status()).isEqualTo(200);
            List<String> seedMetrics = List.of(
                    "keyline_iam_crypto_encrypt_total{status=\"success\"}",
                    "keyline_iam_crypto_decrypt_total{status=\"success\"}",
                    "keyline_iam_crypto_sign_total{status=\"success\"}",
                    "keyline_iam_crypto_verify_total{status=\"success\"}",
                    "keyline_iam_crypto_verify_total{status=\"invalid\"}",
                    "keyline_iam_crypto_latency_seconds_bucket{operation=\"encrypt\"",
                    "keyline_iam_crypto_latency_seconds_bucket{operation=\"decrypt\"",
                    "keyline_iam_crypto_latency_seconds_bucket{operation=\"sign\"",
                    "keyline_iam_crypto_latency_seconds_bucket{operation=\"verify\"",
                    "keyline_iam_crypto_errors_total{error_code=\"KEY_NOT_FOUND\",operation=\"verify\"}",
                    "keyline_iam_crypto_fallback_total{operation=\"sign\"}",
                    "keyline_iam_cache_requests_total{level=\"l2\",result=\"hit\"}",
                    "keyline_iam_decisions_total{cached=\"true\",outcome=\"allow\"}",
                    "keyline_iam_decision_latency_seconds_count",
                    // The embedded crypto client, on the same registry.
                    "keyline_client_requests_total{client=\"iam-policy-service\",error_code=\"none\",operation=\"sign\",outcome=\"success\"}",
                    "keyline_client_requests_total{client=\"iam-policy-service\",error_code=\"none\",operation=\"generate_data_key\",outcome=\"success\"}",
                    "keyline_client_cache_hits_total{cache=\"data_key_decrypt\",client=\"iam-policy-service\"}",
                    "keyline_client_requests_total{client=\"iam-policy-service\",error_code=\"KEY_NOT_FOUND\",operation=\"get_public_key\",outcome=\"error\"}",
                    "keyline_client_requests_total{client=\"iam-policy-service\",error_code=\"CRYPTO_SERVICE_UNAVAILABLE\",operation=\"sign\",outcome=\"error\"}",
                    "keyline_client_request_seconds_bucket{client=\"iam-policy-service\"",
                    "keyline_client_circuit_state{client=\"iam-policy-service\"}",
                    "keyline_client_cache_hits_total{cache=\"key_metadata\",client=\"iam-policy-service\"}");
            assertThat(metrics.raw()).contains(seedMetrics);
            assertThat(metrics.raw()).as("one naming scheme: no metric outside keyline_<service>_ but the JVM's and the process's")
                    .doesNotContainPattern("(?m)^(iam|token|crypto)_");
        }
    }
}
