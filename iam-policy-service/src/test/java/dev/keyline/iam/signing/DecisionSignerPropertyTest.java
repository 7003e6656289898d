package dev.keyline.iam.signing;

import dev.keyline.iam.testing.IamFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.iam.testing.Gens;
import dev.keyline.testing.Examples;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Properties I3 (sign then verify), I4 (payload completeness), I5 (invalid signature detection) and
 * I7 (key version backward compatibility) with the real crypto service signing ECDSA P-256.
 */
class DecisionSignerPropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KeyId KEY = KeyId.of("iam", "decision-signing");

    @TempDir
    static Path tmp;
    static CryptoServiceFixture crypto;
    static CryptoClient client;
    static IamMetrics metrics;
    static DecisionSigner signer;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(tmp.resolve("crypto"));
        client = IamFixture.cryptoClient(crypto);
        client.generateKey(KEY, KeyAlgorithm.ECDSA_P256_SHA256, Duration.ZERO);
        client.generateKey(KeyId.of("iam", "other-signer"), KeyAlgorithm.ECDSA_P256_SHA256, Duration.ZERO);
        metrics = new IamMetrics(new SimpleMeterRegistry());
        signer = new DecisionSigner(client, KEY, metrics);
    }

    @AfterAll
    static void stop() {
        client.close();
        crypto.close();
    }

    @Test
    void verify_whatSignSigned_isValid_I3() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(Gens.claims()).checkAssert(claims -> {
            examples.ran();
            SignedDecision signed = signer.sign(claims).orElseThrow();

            Verification v = signer.verify(claims, signed.signatureBase64(), signed.keyId().toString());

            assertThat(v).isEqualTo(new Verification.Valid(signed.keyId()));
            assertThat(signed.keyId().ringName()).isEqualTo("iam/decision-signing");
        });
        examples.assertAtLeast(100);
        assertThat(metrics.count("keyline.iam.crypto.sign", "status", "success")).isGreaterThanOrEqualTo(100);
        assertThat(metrics.count("keyline.iam.crypto.verify", "status", "success")).isGreaterThanOrEqualTo(100);
    }

    @Test
    void canonicalPayload_holdsExactlyTheSevenFieldsWithTheirValues_I4() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.claims()).checkAssert(c -> {
            examples.ran();
            JsonNode n = parse(c.canonicalPayload());
            TreeSet<String> names = new TreeSet<>();
            n.fieldNames().forEachRemaining(names::add);

            assertThat(names).containsExactly("action", "allowed", "decision_id", "policy_name", "resource_id", "subject_id", "timestamp");
            assertThat(n.get("timestamp").isIntegralNumber()).isTrue();
            assertThat(n.get("timestamp").asLong()).isEqualTo(c.timestamp());
            assertThat(n.get("decision_id").asText()).isEqualTo(c.decisionId());
            assertThat(n.get("subject_id").asText()).isEqualTo(c.subjectId());
            assertThat(n.get("resource_id").asText()).isEqualTo(c.resourceId());
            assertThat(n.get("action").asText()).isEqualTo(c.action());
            assertThat(n.get("allowed").asBoolean()).isEqualTo(c.allowed());
            assertThat(n.get("policy_name").asText()).isEqualTo(c.policyName());
        });
        examples.assertAtLeast(200);
    }

    @Test
    void canonicalPayload_anySingleFieldChanged_changesTheBytes_I4() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.claims(), integers().between(0, 6)).checkAssert((c, field) -> {
            examples.ran();
            assertThat(tamper(c, field).canonicalPayload()).isNotEqualTo(c.canonicalPayload());
        });
        examples.assertAtLeast(200);
    }

    @Test
    void verify_anyFieldChanged_isSignatureInvalid_I5() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(Gens.claims(), integers().between(0, 6)).checkAssert((claims, field) -> {
            examples.ran();
            SignedDecision signed = signer.sign(claims).orElseThrow();

            Verification v = signer.verify(tamper(claims, field), signed.signature(), signed.keyId());

            assertThat(v.valid()).isFalse();
            assertThat(v.reason()).contains("SIGNATURE_INVALID");
        });
        examples.assertAtLeast(100);
    }

    @Test
    void verify_anySignatureByteChanged_isSignatureInvalid_I5() {
        List<SignedDecision> pool = new ArrayList<>();
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(150)).forAll(Gens.claims(), integers().between(0, 1000), integers().between(1, 255)).checkAssert((claims, at, bits) -> {
            examples.ran();
            SignedDecision signed = pool.size() < 20 ? signer.sign(claims).orElseThrow() : pool.get(at % pool.size());
            if (pool.size() < 20) {
                pool.add(signed);
            }
            byte[] sig = signed.signature();
            sig[at % sig.length] ^= (byte) bits.intValue();

            Verification v = signer.verify(signed.claims(), sig, signed.keyId());

            assertThat(v.valid()).isFalse();
            assertThat(v.reason()).contains("SIGNATURE_INVALID");
        });
        examples.assertAtLeast(150);
    }

    @Test
    void verify_keyIdOfAnotherKeyOrMalformedSignature_isSignatureInvalid_I5() {
        DecisionClaims claims = new DecisionClaims(1, "d", "s", "r", "read", true, "p");
        SignedDecision signed = signer.sign(claims).orElseThrow();
        // The same claims signed by another key of the service must not pass as a decision signature.
        byte[] foreign = client.sign(KeyId.of("iam", "other-signer"), claims.canonicalPayload()).signature();

        assertThat(signer.verify(claims, foreign, KeyId.parse("iam/other-signer/1")).reason()).contains("SIGNATURE_INVALID");
        assertThat(signer.verify(claims, foreign, signed.keyId()).reason()).contains("SIGNATURE_INVALID");
        assertThat(signer.verify(claims, signed.signatureBase64(), "iam/decision-signing/999").reason()).contains("SIGNATURE_INVALID");
        assertThat(signer.verify(claims, "not base64!", signed.keyId().toString()).reason()).contains("SIGNATURE_INVALID");
        assertThat(signer.verify(claims, signed.signatureBase64(), "garbage").reason()).contains("SIGNATURE_INVALID");
        assertThat(signer.verify(claims, signed.signatureBase64(), "iam/decision-signing/0").reason()).contains("SIGNATURE_INVALID");
        assertThat(signer.verify(claims, signed.signatureBase64(), signed.keyId().toString()).valid()).isTrue();
    }

    @Test
    void verify_decisionsSignedBeforeRotations_stillVerify_I7() {
        List<SignedDecision> signedSoFar = new ArrayList<>();
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(Gens.claims(), integers().between(0, 1_000_000), integers().between(0, 3)).checkAssert((claims, pick, rotate) -> {
            examples.ran();
            signedSoFar.add(signer.sign(claims).orElseThrow());
            if (rotate == 0) {
                client.rotateKey(KEY);
            }
            SignedDecision earlier = signedSoFar.get(pick % signedSoFar.size());

            Verification v = signer.verify(earlier.claims(), earlier.signature(), earlier.keyId());

            assertThat(v).as("decision signed by %s, primary now %s", earlier.keyId(), client.getKeyMetadata(KEY).primaryVersion())
                    .isEqualTo(new Verification.Valid(earlier.keyId()));
        });
        examples.assertAtLeast(100);
        assertThat(signedSoFar.stream().map(s -> s.keyId().version()).distinct().count()).as("versions that signed").isGreaterThan(3);
        assertThat(signer.jwks()).hasSize(client.getKeyMetadata(KEY).versions().size());
    }

    /** {@code c} with field {@code i} changed (0 timestamp … 6 policy name). */
    static DecisionClaims tamper(DecisionClaims c, int i) {
        return switch (i) {
            case 0 -> new DecisionClaims(c.timestamp() == 0 ? 1 : c.timestamp() - 1, c.decisionId(), c.subjectId(), c.resourceId(), c.action(),
                    c.allowed(), c.policyName());
            case 1 -> new DecisionClaims(c.timestamp(), c.decisionId() + "0", c.subjectId(), c.resourceId(), c.action(), c.allowed(), c.policyName());
            case 2 -> new DecisionClaims(c.timestamp(), c.decisionId(), "x" + c.subjectId(), c.resourceId(), c.action(), c.allowed(), c.policyName());
            case 3 -> new DecisionClaims(c.timestamp(), c.decisionId(), c.subjectId(), c.resourceId() + " ", c.action(), c.allowed(), c.policyName());
            case 4 -> new DecisionClaims(c.timestamp(), c.decisionId(), c.subjectId(), c.resourceId(), c.action() + "s", c.allowed(), c.policyName());
            case 5 -> new DecisionClaims(c.timestamp(), c.decisionId(), c.subjectId(), c.resourceId(), c.action(), !c.allowed(), c.policyName());
            default -> new DecisionClaims(c.timestamp(), c.decisionId(), c.subjectId(), c.resourceId(), c.action(), c.allowed(),
                    c.policyName() + ",x");
        };
    }

    private static JsonNode parse(byte[] payload) {
        try {
            return JSON.readTree(new String(payload, StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new AssertionError("payload is not JSON", e);
        }
    }
}
