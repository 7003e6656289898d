package dev.keyline.iam.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import io.micrometer.core.instrument.Counter;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over real HTTP: a signed decision is bound to its request
 * (types, ids, attributes, context), a batch is one Sign call whose decisions each verify, a
 * chunked body over the limit gets 413, and /metrics is only on the management port.
 */
class BoundDecisionTest {
    @TempDir
    static Path tmp;
    static IamFixture f;

    @BeforeAll
    static void start() {
        f = IamFixture.start(tmp, "bound-decisions", b -> b.batchMaxItems(100).maxBodyBytes(64 * 1024));
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static ObjectNode request(String resourceType, String resourceId) {
        ObjectNode n = Http.JSON.createObjectNode();
        n.putObject("subject").put("type", "User").put("id", "mallory");
        n.put("action", "read");
        n.putObject("resource").put("type", resourceType).put("id", resourceId).putObject("attributes").put("owner", "mallory");
        n.putObject("context").put("ip", "10.0.0.1");
        return n;
    }

    private static JsonNode verifyWith(JsonNode decision, JsonNode request) {
        ObjectNode body = decision.deepCopy();
        if (request != null) {
            body.set("request", request);
        }
        Http.Response r = f.http.post("/v1/decisions/verify", body);
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    @Test
    void verify_decisionForDocumentPayroll_doesNotVerifyAsFolderPayroll() {
        ObjectNode asked = request("Document", "payroll");
        JsonNode decision = f.http.post("/v1/authorize", asked).body();
        assertThat(decision.has("signature")).isTrue();

        JsonNode same = verifyWith(decision, asked);
        JsonNode folder = verifyWith(decision, request("Folder", "payroll"));
        ObjectNode claimsAsFolder = decision.deepCopy();
        claimsAsFolder.put("request_digest", f.http.post("/v1/authorize", request("Folder", "payroll")).body().get("request_digest").asText());

        assertThat(same.get("valid").asBoolean()).isTrue();
        assertThat(folder.get("valid").asBoolean()).isFalse();
        assertThat(folder.get("reason").asText()).isEqualTo("REQUEST_MISMATCH");
        assertThat(verifyWith(claimsAsFolder, null).get("reason").asText()).as("the digest of another request swapped in").isEqualTo("SIGNATURE_INVALID");
    }

    @Test
    void verify_withAChangedAttributeOrContext_isInvalid() {
        ObjectNode asked = request("Document", "payroll");
        JsonNode decision = f.http.post("/v1/authorize", asked).body();
        ObjectNode otherOwner = asked.deepCopy();
        ((ObjectNode) otherOwner.get("resource").get("attributes")).put("owner", "alice");
        ObjectNode otherContext = asked.deepCopy();
        ((ObjectNode) otherContext.get("context")).put("ip", "10.0.0.2");

        assertThat(verifyWith(decision, asked).get("valid").asBoolean()).isTrue();
        assertThat(verifyWith(decision, otherOwner).get("reason").asText()).isEqualTo("REQUEST_MISMATCH");
        assertThat(verifyWith(decision, otherContext).get("reason").asText()).isEqualTo("REQUEST_MISMATCH");
    }

    @Test
    void verify_withAnyBoundFieldChanged_isSignatureInvalid() {
        JsonNode decision = f.http.post("/v1/authorize", request("Document", "payroll")).body();
        String[][] changes = {{"caller", "someone-else"}, {"policy_version", "0000000000000000"}, {"request_digest",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}};
        for (String[] c : changes) {
            ObjectNode changed = decision.deepCopy();
            changed.put(c[0], c[1]);
            assertThat(verifyWith(changed, null).get("reason").asText()).as(c[0]).isEqualTo("SIGNATURE_INVALID");
        }
        ObjectNode later = decision.deepCopy();
        later.put("exp", decision.get("exp").asLong() + 3600);
        assertThat(verifyWith(later, null).get("reason").asText()).as("exp").isEqualTo("SIGNATURE_INVALID");
        ObjectNode asV1 = decision.deepCopy();
        asV1.remove("format");
        assertThat(verifyWith(asV1, null).get("reason").asText()).as("downgraded to format 1").isEqualTo("SIGNATURE_INVALID");
    }

    @Test
    void verify_aFormatVersion1DecisionSignedBeforeTheUpgrade_stillVerifies() {
        String payload = "{\"action\":\"read\",\"allowed\":true,\"decision_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
                + "\"policy_name\":\"viewers-read\",\"resource_id\":\"roadmap\",\"subject_id\":\"alice\",\"timestamp\":1767225600000}";
        dev.keyline.crypto.client.SignResult signed;
        try (var client = IamFixture.cryptoClient(f.crypto)) {
            signed = client.sign(dev.keyline.crypto.core.keys.KeyId.parse("iam/decision-signing"), payload.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        ObjectNode v1 = (ObjectNode) json(payload);
        v1.put("signature", java.util.Base64.getEncoder().encodeToString(signed.signature()));
        v1.put("key_id", signed.keyId().toString());
        ObjectNode changed = v1.deepCopy().put("resource_id", "payroll");

        assertThat(verifyWith(v1, null).get("valid").asBoolean()).isTrue();
        assertThat(verifyWith(changed, null).get("reason").asText()).isEqualTo("SIGNATURE_INVALID");
        assertThat(verifyWith(v1, request("Document", "roadmap")).get("reason").asText()).as("v1 is bound to no request").isEqualTo("REQUEST_MISMATCH");
    }

    private static JsonNode json(String s) {
        try {
            return Http.JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static double signCalls() {
        return f.crypto.server().meters().find("keyline.crypto.operations").counters().stream()
                .filter(c -> c.getId().getTag("operation").toLowerCase(Locale.ROOT).contains("sign")
                        && !c.getId().getTag("operation").toLowerCase(Locale.ROOT).contains("verify"))
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void batch_ofFiftyRequests_makesOneSignCallAndEveryDecisionVerifies() {
        ObjectNode body = Http.JSON.createObjectNode();
        ArrayNode requests = body.putArray("requests");
        for (int i = 0; i < 50; i++) {
            requests.add(request("Document", "doc-" + i));
        }
        f.http.post("/v1/authorize", request("Document", "warm-up"));
        double before = signCalls();

        Http.Response r = f.http.post("/v1/authorize/batch", body);

        assertThat(r.status()).isEqualTo(200);
        assertThat(signCalls() - before).as("Sign calls the crypto service saw for one batch").isEqualTo(1.0);
        JsonNode results = r.body().get("results");
        assertThat(results).hasSize(50);
        for (int i = 0; i < 50; i++) {
            JsonNode d = results.get(i);
            assertThat(d.get("batch").get("index").asInt()).isEqualTo(i);
            assertThat(verifyWith(d, requests.get(i)).get("valid").asBoolean()).as("item %d", i).isTrue();
            assertThat(verifyWith(d, requests.get((i + 1) % 50)).get("valid").asBoolean()).as("item %d against another request", i).isFalse();
        }
        ObjectNode wrongIndex = results.get(3).deepCopy();
        ((ObjectNode) wrongIndex.get("batch")).put("index", 4);
        assertThat(verifyWith(wrongIndex, null).get("valid").asBoolean()).isFalse();
        ObjectNode noProof = results.get(3).deepCopy();
        noProof.remove("batch");
        assertThat(verifyWith(noProof, null).get("valid").asBoolean()).isFalse();
    }

    @Test
    void authorize_chunkedBodyOfTwiceTheLimit_is413() {
        byte[] huge = ("{\"subject\":{\"type\":\"User\",\"id\":\"" + "a".repeat(128 * 1024) + "\"}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // ofInputStream has no known length: java.net.http sends it chunked, without Content-Length.
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.iam.baseUrl() + "/v1/authorize"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge)))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + f.tokens.mint("app", "iam:authorize"));

        Http.Response r = f.http.send(b);

        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertThat(r.body().at("/error/message").asText()).contains("larger than 65536 bytes");
    }

    @Test
    void metrics_areOnTheLoopbackManagementPortOnly() {
        f.http.post("/v1/authorize", request("Document", "roadmap"));

        Http.Response publicPort = f.http.get("/metrics");
        Http.Response management = new Http(f.iam.managementUrl().orElseThrow()).get("/metrics");

        assertThat(publicPort.status()).isEqualTo(404);
        assertThat(publicPort.raw()).doesNotContain("keyline_iam_decisions_total");
        assertThat(management.status()).isEqualTo(200);
        assertThat(management.raw()).contains("keyline_iam_decisions_total");
        assertThat(f.iam.managementUrl().orElseThrow()).startsWith("http://127.0.0.1:");
        assertThat(f.iam.managementPort().orElseThrow()).isNotEqualTo(f.iam.httpPort());
    }
}
