package dev.keyline.iam.signing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.core.signing.VerifyingKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Pins the canonical signed-decision payload byte for byte (golden/signed-decisions.json, made with
 * Python's JSON encoder and OpenSSL, independently of this code): a change to the payload format
 * breaks every signature auditors hold, so it must fail here first.
 */
class SignedDecisionGoldenTest {
    private static final CryptoProviders PROVIDERS = CryptoProviders.defaults();

    private static JsonNode golden() throws IOException {
        try (InputStream in = SignedDecisionGoldenTest.class.getResourceAsStream("/golden/signed-decisions.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static DecisionClaims claims(JsonNode d) {
        return new DecisionClaims(d.get("timestamp").asLong(), d.get("decision_id").asText(), d.get("subject_id").asText(),
                d.get("resource_id").asText(), d.get("action").asText(), d.get("allowed").asBoolean(), d.get("policy_name").asText());
    }

    @Test
    void canonicalPayload_goldenDecisions_matchTheExactBytes() throws IOException {
        for (JsonNode c : golden().get("cases")) {
            byte[] expected = Base64.getDecoder().decode(c.get("payload_base64").asText());

            byte[] actual = claims(c.get("decision")).canonicalPayload();

            assertThat(new String(actual, StandardCharsets.UTF_8)).isEqualTo(c.get("payload").asText());
            assertThat(actual).isEqualTo(expected);
        }
    }

    @Test
    void canonicalPayload_firstGoldenDecision_isTheDocumentedLiteral() {
        DecisionClaims c = new DecisionClaims(1767225600000L, "0f8fad5b-d9cb-469f-a165-70867728950e", "alice", "roadmap", "read", true,
                "admins-everything,viewers-read");

        assertThat(new String(c.canonicalPayload(), StandardCharsets.UTF_8)).isEqualTo("{\"action\":\"read\",\"allowed\":true,"
                + "\"decision_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"policy_name\":\"admins-everything,viewers-read\","
                + "\"resource_id\":\"roadmap\",\"subject_id\":\"alice\",\"timestamp\":1767225600000}");
    }

    @Test
    void goldenSignature_overOurPayload_verifiesWithTheGoldenPublicKey() throws IOException {
        JsonNode g = golden();
        VerifyingKey key = VerifyingKey.fromPem(KeyAlgorithm.ECDSA_P256_SHA256, g.get("public_key_pem").asText(), PROVIDERS);
        for (JsonNode c : g.get("cases")) {
            byte[] payload = claims(c.get("decision")).canonicalPayload();
            byte[] signature = Base64.getDecoder().decode(c.get("signature").asText());
            byte[] changed = payload.clone();
            changed[changed.length - 2] ^= 1;

            assertThat(key.verify(payload, signature)).as("golden signature over our payload").isTrue();
            assertThat(key.verify(changed, signature)).as("same signature, one bit of the payload changed").isFalse();
        }
    }

    @Test
    void sign_withTheGoldenPrivateKey_producesDerSignaturesThatVerify() throws IOException {
        JsonNode g = golden();
        VerifyingKey pub = VerifyingKey.fromPem(KeyAlgorithm.ECDSA_P256_SHA256, g.get("public_key_pem").asText(), PROVIDERS);
        SigningKey priv = SigningKey.fromPkcs8(KeyAlgorithm.ECDSA_P256_SHA256, SecretBytes.wrap(pemBody(g.get("private_key_pkcs8_pem").asText())),
                pub, PROVIDERS);
        byte[] payload = claims(g.get("cases").get(0).get("decision")).canonicalPayload();

        byte[] signature = priv.sign(payload);

        assertThat(signature[0]).as("DER SEQUENCE tag").isEqualTo((byte) 0x30);
        assertThat(pub.verify(payload, signature)).isTrue();
    }

    private static byte[] pemBody(String pem) {
        return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    }
}
