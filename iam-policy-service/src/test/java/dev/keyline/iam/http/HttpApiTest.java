package dev.keyline.iam.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import dev.keyline.testing.Examples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

/** The HTTP API over real HTTP: shapes of answers, every endpoint, and 400 (never 500) for bad input. */
class HttpApiTest {
    @TempDir
    static Path tmp;
    static IamFixture f;
    static Http http;

    @BeforeAll
    static void start() {
        f = IamFixture.start(tmp, "http-api", b -> b.batchMaxItems(5));
        http = f.http;
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    @Test
    void authorize_allowedRequest_answersExactlyTheDocumentedFields() {
        Http.Response r = http.post("/v1/authorize", Http.authorizeBody("User", "bob", "write", "Document", "roadmap"));

        assertThat(r.status()).isEqualTo(200);
        TreeSet<String> fields = new TreeSet<>();
        r.body().fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("action", "allowed", "cached", "caller", "decision_id", "exp", "format", "iat", "key_id",
                "policy_name", "policy_version", "reasons", "request_digest", "resource_id", "signature", "subject_id", "timestamp");
        assertThat(r.body().get("caller").asText()).isEqualTo(IamFixture.CALLER);
        assertThat(r.body().get("format").asText()).isEqualTo("keyline-decision-v2");
        assertThat(r.body().get("exp").asLong() - r.body().get("iat").asLong()).isEqualTo(300);
        assertThat(r.body().get("allowed").asBoolean()).isTrue();
        assertThat(r.body().get("policy_name").asText()).isEqualTo("editors-write");
        assertThat(r.body().get("reasons").get(0).asText()).isEqualTo("permitted by policy editors-write");
        assertThat(r.body().get("subject_id").asText()).isEqualTo("bob");
        assertThat(r.body().get("resource_id").asText()).isEqualTo("roadmap");
        assertThat(r.body().get("action").asText()).isEqualTo("write");
        assertThat(r.body().get("key_id").asText()).isEqualTo("iam/decision-signing/1");
        assertThat(r.body().get("timestamp").isIntegralNumber()).isTrue();
        assertThat(r.body().get("decision_id").asText()).matches("[0-9a-f-]{36}");
        assertThat(r.body().get("policy_version").asText()).isEqualTo(f.iam.policies().current().version());
        assertThat(r.header("x-correlation-id")).isNotBlank();
    }

    @Test
    void authorize_sameRequestTwice_secondIsCachedWithANewDecisionId() {
        String body = Http.authorizeBody("User", "carol", "read", "Document", "handbook");

        JsonNode first = http.post("/v1/authorize", body).body();
        JsonNode second = http.post("/v1/authorize", body).body();

        assertThat(first.get("cached").asBoolean()).isFalse();
        assertThat(second.get("cached").asBoolean()).isTrue();
        assertThat(second.get("allowed")).isEqualTo(first.get("allowed"));
        assertThat(second.get("decision_id")).isNotEqualTo(first.get("decision_id"));
    }

    @Test
    void authorize_denied_namesDefaultDenyOrTheForbid() {
        JsonNode none = http.post("/v1/authorize", Http.authorizeBody("User", "dave", "write", "Document", "handbook")).body();
        JsonNode forbid = http.post("/v1/authorize", Http.authorizeBody("User", "bob", "read", "Document", "salaries")).body();

        assertThat(none.get("allowed").asBoolean()).isFalse();
        assertThat(none.get("policy_name").asText()).isEqualTo("default-deny");
        assertThat(forbid.get("allowed").asBoolean()).isFalse();
        assertThat(forbid.get("policy_name").asText()).isEqualTo("confidential-admins-only");
    }

    @Test
    void authorize_attributesAndContext_reachThePolicies() {
        ObjectNode n = Http.JSON.createObjectNode();
        n.putObject("subject").put("type", "User").put("id", "erin");
        n.put("action", "delete");
        ObjectNode res = n.putObject("resource").put("type", "Document").put("id", "fresh");
        res.putObject("attributes").put("classification", "internal").putObject("owner").putObject("__entity").put("type", "User").put("id", "erin");
        n.putObject("context").put("mfa", true).put("level", 3).putArray("tags").add("a");

        JsonNode r = http.post("/v1/authorize", n).body();

        assertThat(r.get("allowed").asBoolean()).isTrue();
        assertThat(r.get("policy_name").asText()).isEqualTo("owners-delete");
    }

    @Test
    void batch_severalRequests_answersEachInOrder() {
        ArrayNode reqs = Http.JSON.createArrayNode();
        reqs.add(json(Http.authorizeBody("User", "alice", "delete", "Document", "salaries")));
        reqs.add(json(Http.authorizeBody("User", "dave", "read", "Document", "handbook")));
        ObjectNode body = Http.JSON.createObjectNode();
        body.set("requests", reqs);

        Http.Response r = http.post("/v1/authorize/batch", body);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("results")).hasSize(2);
        assertThat(r.body().get("results").get(0).get("allowed").asBoolean()).isTrue();
        assertThat(r.body().get("results").get(1).get("allowed").asBoolean()).isFalse();
        assertThat(r.body().get("results").get(1).get("subject_id").asText()).isEqualTo("dave");
    }

    @Test
    void batch_tooManyOrOneBadItem_is400NamingTheProblem() {
        ArrayNode six = Http.JSON.createArrayNode();
        for (int i = 0; i < 6; i++) {
            six.add(json(Http.authorizeBody("User", "u" + i, "read", "Document", "d")));
        }
        ArrayNode bad = Http.JSON.createArrayNode();
        bad.add(json(Http.authorizeBody("User", "u", "read", "Document", "d")));
        bad.add(json("{\"subject\":{\"type\":\"User\"},\"action\":\"read\",\"resource\":{\"type\":\"Document\",\"id\":\"d\"}}"));

        Http.Response tooMany = http.post("/v1/authorize/batch", Http.JSON.createObjectNode().set("requests", six));
        Http.Response oneBad = http.post("/v1/authorize/batch", Http.JSON.createObjectNode().set("requests", bad));

        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.body().at("/error/message").asText()).contains("at most 5");
        assertThat(oneBad.status()).isEqualTo(400);
        assertThat(oneBad.body().at("/error/message").asText()).isEqualTo("requests[1].subject.id: is required");
    }

    @Test
    void authorize_badInputs_are400WithAClearMessage() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("", "the request body is empty"),
                Map.entry("{", "not valid JSON"),
                Map.entry("[]", "must be a JSON object"),
                Map.entry("{\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"}}", "subject: is required"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":7},\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"}}",
                        "subject.id: must be a string"),
                Map.entry("{\"subject\":{\"type\":\"no spaces\",\"id\":\"u\"},\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"}}",
                        "subject.type: type must be a Cedar entity type name"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":\"\"},\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"}}",
                        "subject.id: id must be 1 to 1024 characters"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":\"u\"},\"resource\":{\"type\":\"D\",\"id\":\"d\"}}", "action: is required"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":\"u\"},\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"},"
                        + "\"context\":{\"x\":1.5}}", "context.x: must not be a fractional number"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":\"u\",\"attributes\":{\"a\":null}},\"action\":\"read\","
                        + "\"resource\":{\"type\":\"D\",\"id\":\"d\"}}", "subject.attributes.a: must not be null"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":\"\\ud800\"},\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"}}",
                        "well-formed Unicode"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":\"u\"},\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"},"
                        + "\"context\":{\"big\":123456789012345678901234567890}}", "64-bit"),
                Map.entry("{\"subject\":{\"type\":\"User\",\"id\":\"u\"},\"action\":\"read\",\"resource\":{\"type\":\"D\",\"id\":\"d\"},"
                        + "\"context\":{\"e\":{\"__entity\":{\"type\":\"User\"}}}}", "context.e.__entity.id: is required"));
        cases.forEach((body, message) -> {
            Http.Response r = http.post("/v1/authorize", body);

            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.body().at("/error/code").asText()).as(body).isEqualTo("INVALID_ARGUMENT");
            assertThat(r.body().at("/error/message").asText()).as(body).contains(message);
            assertThat(r.body().at("/error/correlation_id").asText()).as(body).isEqualTo(r.header("x-correlation-id"));
        });
    }

    @Test
    void anyEndpoint_randomJsonBodies_neverAnswer500() {
        Gen<String> scalars = arbitrary().pick(List.of("1", "-1", "1.5", "true", "null", "\"\"", "\"x\"", "\"User\"", "\"\\u0000\"", "{}", "[]",
                "99999999999999999999", "{\"__entity\":{}}", "{\"__entity\":{\"type\":\"A\",\"id\":\"b\"}}"));
        Gen<String> keys = arbitrary().pick(List.of("subject", "resource", "action", "context", "type", "id", "attributes", "requests",
                "timestamp", "allowed", "signature", "key_id", "decision_id", "x"));
        Gen<String> objects = lists().of(keys.zip(scalars, (k, v) -> "\"" + k + "\":" + v)).ofSizeBetween(0, 6)
                .map(l -> "{" + String.join(",", l) + "}");
        Gen<String> nested = objects.zip(keys, objects, (a, k, b) -> b.equals("{}") ? "{\"" + k + "\":" + a + "}"
                : b.substring(0, b.length() - 1) + ",\"" + k + "\":" + a + "}");
        Gen<String> paths = arbitrary().pick(List.of("/v1/authorize", "/v1/authorize/batch", "/v1/decisions/verify"));
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(paths, nested, strings().basicLatinAlphabet().ofLengthBetween(0, 3), integers().between(0, 9))
                .checkAssert((path, body, junk, mode) -> {
                    examples.ran();
                    String sent = mode == 0 ? body + junk : body;
                    Http.Response r = http.post(path, sent);

                    assertThat(r.status()).as("%s %s", path, sent).isIn(200, 400);
                    if (r.status() == 400) {
                        assertThat(r.body().at("/error/message").asText()).isNotBlank();
                    }
                });
        examples.assertAtLeast(200);
    }

    @Test
    void verify_whatAuthorizeSigned_isValid_andATamperedCopyIsNot() {
        ObjectNode decision = (ObjectNode) http.post("/v1/authorize", Http.authorizeBody("User", "alice", "read", "Document", "roadmap")).body();

        Http.Response ok = http.post("/v1/decisions/verify", decision);
        ObjectNode tampered = decision.deepCopy().put("allowed", false);
        Http.Response bad = http.post("/v1/decisions/verify", tampered);
        ObjectNode unsigned = decision.deepCopy();
        unsigned.remove("signature");
        Http.Response missing = http.post("/v1/decisions/verify", unsigned);

        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body().get("valid").asBoolean()).isTrue();
        assertThat(ok.body().get("reason").isNull()).isTrue();
        assertThat(bad.body().get("valid").asBoolean()).isFalse();
        assertThat(bad.body().get("reason").asText()).isEqualTo("SIGNATURE_INVALID");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.body().at("/error/message").asText()).isEqualTo("signature: is required");
    }

    @Test
    void jwks_listsThePublicKeyThatVerifiesDecisions() {
        JsonNode decision = http.post("/v1/authorize", Http.authorizeBody("User", "alice", "read", "Document", "handbook")).body();

        Http.Response r = http.get("/v1/decisions/jwks");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("keys")).isNotEmpty();
        assertThat(r.body().get("keys").findValuesAsText("kid")).contains(decision.get("key_id").asText());
        assertThat(r.body().get("keys").get(0).get("alg").asText()).isEqualTo("ES256");
        assertThat(r.body().get("keys").get(0).get("crv").asText()).isEqualTo("P-256");
    }

    @Test
    void policies_listsVersionAndIds() {
        Http.Response r = http.get("/v1/policies");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("version").asText()).isEqualTo(f.iam.policies().current().version());
        assertThat(r.body().get("policies").findValuesAsText("x")).isEmpty();
        assertThat(r.body().get("policies")).extracting(JsonNode::asText).contains("viewers-read", "admins-everything");
        assertThat(r.body().get("schema_validated").asBoolean()).isTrue();
    }

    @Test
    void reload_needsTheAdminToken_andRefusesAnInvalidDirectoryKeepingTheVersion() throws Exception {
        String before = f.iam.policies().current().version();

        Http.Response none = http.anonymous().post("/v1/policies/reload", "");
        Http.Response wrong = http.post("/v1/policies/reload", "", Map.of("Authorization", "Bearer nope-nope-nope-nope"));
        Http.Response unchanged = http.post("/v1/policies/reload", "", Map.of("Authorization", "Bearer " + IamFixture.ADMIN_TOKEN));
        Path extra = f.policyDir.resolve("zz-broken.cedar");
        Files.writeString(extra, "permit(principal, action, resource) when {");
        Http.Response refused;
        try {
            refused = http.post("/v1/policies/reload", "", Map.of("Authorization", "Bearer " + IamFixture.ADMIN_TOKEN));
        } finally {
            Files.delete(extra);
        }

        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(unchanged.status()).isEqualTo(200);
        assertThat(unchanged.body().get("result").asText()).isEqualTo("unchanged");
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.body().at("/error/code").asText()).isEqualTo("POLICY_INVALID");
        assertThat(refused.body().at("/error/problems/0").asText()).startsWith("zz-broken.cedar: not valid Cedar");
        assertThat(f.iam.policies().current().version()).isEqualTo(before);
    }

    @Test
    void healthAndMetrics_reportUpAndTheSeedsMetricNames() {
        http.post("/v1/authorize", Http.authorizeBody("User", "carol", "read", "Document", "roadmap"));

        Http.Response health = http.get("/health");
        Http.Response metrics = new Http(f.iam.managementUrl().orElseThrow()).get("/metrics");

        assertThat(health.status()).isEqualTo(200);
        assertThat(health.body().get("status").asText()).isEqualTo("UP");
        assertThat(health.body().at("/checks/crypto_service/status").asText()).isEqualTo("UP");
        assertThat(health.body().at("/checks/decision_cache_l2/status").asText()).isEqualTo("UP");
        // The kit's Health, same JSON shape as before: status, and checks of exactly {status, detail}, in report order.
        assertThat(health.body().properties()).extracting(java.util.Map.Entry::getKey).containsExactly("status", "checks");
        assertThat(health.body().get("checks").properties()).extracting(java.util.Map.Entry::getKey)
                .containsExactly("policies", "crypto_service", "decision_cache_l2");
        health.body().get("checks").forEach(c -> {
            assertThat(c.properties()).extracting(java.util.Map.Entry::getKey).containsExactly("status", "detail");
            assertThat(c.get("detail").asText()).isNotBlank();
        });
        assertThat(f.iam.health().httpStatus()).isEqualTo(200);
        assertThat(metrics.raw()).contains("keyline_iam_crypto_sign_total{status=\"success\"}", "keyline_iam_crypto_encrypt_total{status=\"success\"}",
                "keyline_iam_crypto_latency_seconds_bucket", "keyline_iam_cache_requests_total{level=\"l1\",result=\"miss\"}",
                "keyline_iam_decisions_total{cached=\"false\",outcome=\"allow\"}", "keyline_iam_decision_latency_seconds_count");
    }

    @Test
    void unknownPathOrMethod_isJsonNotFoundOrMethodNotAllowed() {
        Http.Response missing = http.get("/v1/nothing");
        Http.Response wrongMethod = http.get("/v1/authorize");

        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().at("/error/code").asText()).isEqualTo("NOT_FOUND");
        assertThat(wrongMethod.status()).isEqualTo(405);
    }

    @Test
    void authorize_bodyOverTheLimit_is413WithAJsonError() {
        String huge = "{\"subject\":{\"type\":\"User\",\"id\":\"" + "a".repeat(1_100_000) + "\"}}";

        Http.Response r = http.post("/v1/authorize", huge);

        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body().at("/error/message").asText()).contains("larger than 1048576 bytes");
    }

    @Test
    void correlationId_sentByTheCaller_isEchoed() {
        Http.Response r = http.post("/v1/authorize", Http.authorizeBody("User", "bob", "read", "Document", "roadmap"),
                Map.of("x-correlation-id", "test-corr-42", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));

        assertThat(r.header("x-correlation-id")).isEqualTo("test-corr-42");
    }

    private static JsonNode json(String s) {
        try {
            return Http.JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
