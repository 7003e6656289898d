package dev.keyline.iam.signing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.VerifyingKey;
import dev.keyline.iam.decision.AttributeValue;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.RequestEntity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Pins signed-decision format version 2 and batch signing byte for byte against
 * golden/signed-decisions-v2.json, made by make-signed-decisions-v2.py with Python and OpenSSL
 * independently of this code: the canonical request bytes and their digest, the JCS payload, the
 * Merkle root and audit paths of a batch, and signatures by the golden test-only key.
 */
class SignedDecisionV2GoldenTest {
    private static final CryptoProviders PROVIDERS = CryptoProviders.defaults();

    private static JsonNode golden(String name) throws IOException {
        try (InputStream in = SignedDecisionV2GoldenTest.class.getResourceAsStream("/golden/" + name)) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static VerifyingKey publicKey() throws IOException {
        return VerifyingKey.fromPem(KeyAlgorithm.ECDSA_P256_SHA256, golden("signed-decisions.json").get("public_key_pem").asText(), PROVIDERS);
    }

    static BoundDecisionClaims claims(JsonNode d) {
        return new BoundDecisionClaims(new DecisionClaims(d.get("timestamp").asLong(), d.get("decision_id").asText(), d.get("subject_id").asText(),
                d.get("resource_id").asText(), d.get("action").asText(), d.get("allowed").asBoolean(), d.get("policy_name").asText()),
                d.get("caller").asText(), d.get("policy_version").asText(), d.get("request_digest").asText(), d.get("iat").asLong(),
                d.get("exp").asLong());
    }

    private static AuthorizationRequest request(JsonNode r) {
        return new AuthorizationRequest(entity(r.get("subject")), r.get("action").asText(), entity(r.get("resource")), fields(r.get("context")));
    }

    private static RequestEntity entity(JsonNode e) {
        return new RequestEntity(e.get("type").asText(), e.get("id").asText(), fields(e.get("attributes")));
    }

    private static Map<String, AttributeValue> fields(JsonNode n) {
        Map<String, AttributeValue> out = new LinkedHashMap<>();
        if (n != null) {
            n.properties().forEach(f -> out.put(f.getKey(), value(f.getValue())));
        }
        return out;
    }

    private static AttributeValue value(JsonNode v) {
        if (v.isTextual()) {
            return new AttributeValue.Text(v.asText());
        }
        if (v.isBoolean()) {
            return new AttributeValue.Bool(v.asBoolean());
        }
        if (v.isIntegralNumber()) {
            return new AttributeValue.Int(v.asLong());
        }
        if (v.isArray()) {
            List<AttributeValue> elements = new ArrayList<>();
            v.forEach(e -> elements.add(value(e)));
            return new AttributeValue.SetValue(elements);
        }
        if (v.has("__entity")) {
            return new AttributeValue.EntityRef(v.get("__entity").get("type").asText(), v.get("__entity").get("id").asText());
        }
        return new AttributeValue.RecordValue(fields(v));
    }

    @Test
    void canonicalRequestAndDigest_goldenRequests_matchTheExactBytes() throws IOException {
        for (JsonNode c : golden("signed-decisions-v2.json").get("cases")) {
            AuthorizationRequest r = request(c.get("request"));

            assertThat(r.canonicalBytes()).isEqualTo(Base64.getDecoder().decode(c.get("canonical_request_base64").asText()));
            assertThat(BoundDecisionClaims.digest(r)).isEqualTo(c.get("decision").get("request_digest").asText());
        }
    }

    @Test
    void canonicalPayload_goldenV2Decisions_matchTheExactBytes() throws IOException {
        for (JsonNode c : golden("signed-decisions-v2.json").get("cases")) {
            byte[] actual = claims(c.get("decision")).canonicalPayload();

            assertThat(new String(actual, StandardCharsets.UTF_8)).isEqualTo(c.get("payload").asText());
            assertThat(actual).isEqualTo(Base64.getDecoder().decode(c.get("payload_base64").asText()));
        }
    }

    @Test
    void goldenV2Signature_overOurPayload_verifies_andNotForTheOtherRequest() throws IOException {
        VerifyingKey key = publicKey();
        JsonNode cases = golden("signed-decisions-v2.json").get("cases");
        for (JsonNode c : cases) {
            byte[] signature = Base64.getDecoder().decode(c.get("signature").asText());

            assertThat(key.verify(claims(c.get("decision")).canonicalPayload(), signature)).isTrue();
        }
        // Case 0 is Document::"payroll", case 1 the same request for Folder::"payroll": different digests,
        // so case 0's signature does not cover case 0's fields with case 1's digest.
        BoundDecisionClaims document = claims(cases.get(0).get("decision"));
        BoundDecisionClaims asFolder = new BoundDecisionClaims(document.seed(), document.caller(), document.policyVersion(),
                cases.get(1).get("decision").get("request_digest").asText(), document.issuedAt(), document.expiresAt());
        assertThat(asFolder.requestDigest()).isNotEqualTo(document.requestDigest());
        assertThat(key.verify(asFolder.canonicalPayload(), Base64.getDecoder().decode(cases.get(0).get("signature").asText()))).isFalse();
    }

    @Test
    void goldenV1Decisions_stillVerifyAsFormatVersion1() throws IOException {
        VerifyingKey key = publicKey();
        for (JsonNode c : golden("signed-decisions.json").get("cases")) {
            JsonNode d = c.get("decision");
            SignedClaims v1 = new DecisionClaims(d.get("timestamp").asLong(), d.get("decision_id").asText(), d.get("subject_id").asText(),
                    d.get("resource_id").asText(), d.get("action").asText(), d.get("allowed").asBoolean(), d.get("policy_name").asText());

            assertThat(key.verify(v1.canonicalPayload(), Base64.getDecoder().decode(c.get("signature").asText()))).isTrue();
        }
    }

    @Test
    void batch_goldenMerkleRootPathsAndSignature_matchOurs() throws IOException {
        JsonNode b = golden("signed-decisions-v2.json").get("batch");
        List<byte[]> leaves = new ArrayList<>();
        for (JsonNode d : b.get("decisions")) {
            leaves.add(BatchProof.leaf(claims(d).canonicalPayload()));
        }
        byte[] root = BatchProof.treeHash(leaves, 0, leaves.size());

        assertThat(Base64.getUrlEncoder().withoutPadding().encodeToString(root)).isEqualTo(b.get("root").asText());
        assertThat(new String(BatchProof.batchPayload(root, leaves.size()), StandardCharsets.UTF_8)).isEqualTo(b.get("batch_payload").asText());
        byte[] signature = Base64.getDecoder().decode(b.get("signature").asText());
        assertThat(publicKey().verify(BatchProof.batchPayload(root, leaves.size()), signature)).isTrue();
        for (int i = 0; i < leaves.size(); i++) {
            BatchProof proof = new BatchProof(i, leaves.size(), BatchProof.auditPath(i, leaves, 0, leaves.size()));
            List<String> goldenPath = new ArrayList<>();
            b.get("paths").get(i).forEach(p -> goldenPath.add(p.asText()));

            assertThat(proof.pathBase64()).isEqualTo(goldenPath);
            Optional<byte[]> fromPath = proof.root(claims(b.get("decisions").get(i)).canonicalPayload());
            assertThat(fromPath).hasValueSatisfying(r -> assertThat(r).isEqualTo(root));
            assertThat(new BatchProof((i + 1) % leaves.size(), leaves.size(), proof.path()).root(claims(b.get("decisions").get(i))
                    .canonicalPayload()).map(r -> java.util.Arrays.equals(r, root)).orElse(false)).as("item %d at another index", i).isFalse();
        }
    }
}
