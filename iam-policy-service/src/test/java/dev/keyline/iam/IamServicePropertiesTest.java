package dev.keyline.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.testing.DemoRequests;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import dev.keyline.testing.Examples;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's properties end to end, over real HTTP against one IAM server with the real crypto
 * service, the real Redis and real Cedar: I1 (an L2 entry decrypts to the same decision), I3
 * (signed decisions verify), I5 (tampered decisions do not) and I7 (rotation keeps old signatures
 * valid).
 */
class IamServicePropertiesTest {
    @TempDir
    static Path tmp;
    static IamFixture f;
    static CryptoClient admin;

    @BeforeAll
    static void start() {
        f = IamFixture.start(tmp, "iam-properties");
        admin = IamFixture.cryptoClient(f.crypto);
    }

    @AfterAll
    static void stop() {
        admin.close();
        f.close();
    }

    private static JsonNode authorize(AuthorizationRequest r) {
        Http.Response resp = f.http.post("/v1/authorize", DemoRequests.json(r));
        assertThat(resp.status()).isEqualTo(200);
        return resp.body();
    }

    @Test
    void authorize_l2HitAfterL1IsGone_givesTheSameDecisionFromAnEncryptedEntry_I1() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(DemoRequests.gen()).checkAssert(request -> {
            examples.ran();
            AuthorizationRequest unique = DemoRequests.of(request.subject().id(), request.action(), request.resource().id(),
                    Math.floorMod(request.hashCode() * 31 + System.identityHashCode(request), 1_000_000_000));
            JsonNode fresh = authorize(unique);
            f.iam.authorizer().cache().clearL1();

            JsonNode again = authorize(unique);

            assertThat(again.get("cached").asBoolean()).isTrue();
            assertThat(again.get("allowed")).isEqualTo(fresh.get("allowed"));
            assertThat(again.get("policy_name")).isEqualTo(fresh.get("policy_name"));
            assertThat(again.get("reasons")).isEqualTo(fresh.get("reasons"));
        });
        examples.assertAtLeast(100);
        assertThat(f.redis.entries().values()).isNotEmpty().allSatisfy(v -> assertThat(new String(v, java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"ciphertext\"").doesNotContain("\"allowed\""));
        assertThat(f.iam.meters().find("keyline.iam.cache.requests").tag("level", "l2").tag("result", "hit").counter().count()).isGreaterThanOrEqualTo(100);
    }

    @Test
    void verify_everySignedAnswer_isValid_I3() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(DemoRequests.gen()).checkAssert(request -> {
            examples.ran();
            JsonNode decision = authorize(request);

            Http.Response v = f.http.post("/v1/decisions/verify", decision);

            assertThat(decision.has("signature")).isTrue();
            assertThat(v.status()).isEqualTo(200);
            assertThat(v.body().get("valid").asBoolean()).isTrue();
        });
        examples.assertAtLeast(100);
    }

    @Test
    void verify_anyFieldOrSignatureByteChanged_isInvalid_I5() {
        List<String> fields = List.of("timestamp", "decision_id", "subject_id", "resource_id", "action", "allowed", "policy_name", "signature");
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(DemoRequests.gen(), integers().between(0, fields.size() - 1)).checkAssert((request, i) -> {
            examples.ran();
            ObjectNode decision = (ObjectNode) authorize(request);
            String field = fields.get(i);
            switch (field) {
                case "timestamp" -> decision.put(field, decision.get(field).asLong() + 1);
                case "allowed" -> decision.put(field, !decision.get(field).asBoolean());
                case "signature" -> {
                    byte[] sig = java.util.Base64.getDecoder().decode(decision.get(field).asText());
                    sig[sig.length - 1 - request.action().length()] ^= 0x10;
                    decision.put(field, java.util.Base64.getEncoder().encodeToString(sig));
                }
                default -> decision.put(field, decision.get(field).asText() + "!");
            }

            JsonNode v = f.http.post("/v1/decisions/verify", decision).body();

            assertThat(v.get("valid").asBoolean()).as("%s changed", field).isFalse();
            assertThat(v.get("reason").asText()).isEqualTo("SIGNATURE_INVALID");
        });
        examples.assertAtLeast(100);
    }

    @Test
    void verify_decisionsSignedBeforeKeyRotations_stayValid_I7() {
        KeyId signing = KeyId.of("iam", "decision-signing");
        List<JsonNode> signed = new ArrayList<>();
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(DemoRequests.gen(), integers().between(0, 1_000_000)).checkAssert((request, pick) -> {
            examples.ran();
            JsonNode d = authorize(request);
            signed.add(d);
            if (signed.size() % 20 == 0) {
                admin.rotateKey(signing);
            }
            JsonNode earlier = signed.get(pick % signed.size());

            JsonNode v = f.http.post("/v1/decisions/verify", earlier).body();

            assertThat(v.get("valid").asBoolean()).as("signed by %s", earlier.get("key_id")).isTrue();
        });
        examples.assertAtLeast(100);
        List<String> kids = f.http.get("/v1/decisions/jwks").body().get("keys").findValuesAsText("kid");
        assertThat(signed.stream().map(d -> d.get("key_id").asText()).distinct().toList()).hasSizeGreaterThanOrEqualTo(5)
                .allSatisfy(k -> assertThat(kids).contains(k));
    }
}
