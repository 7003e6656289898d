package dev.keyline.crypto.core.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.TestKeys;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.testing.Wycheproof;
import dev.keyline.testing.Wycheproof.TestGroup;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Public key import and export: SPKI, PEM and JWK. */
class VerifyingKeyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    static Stream<KeyAlgorithm> asymmetric() {
        return Stream.of(KeyAlgorithm.values()).filter(KeyAlgorithm::isAsymmetric);
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void jwkJson_anyAlgorithm_isJsonWithTheRightKtyCrvAndAlg(KeyAlgorithm algorithm) throws Exception {
        VerifyingKey pub = TestKeys.signingKey(algorithm).verifyingKey();

        JsonNode jwk = JSON.readTree(pub.jwkJson("ring/key/3"));

        String[] expected = switch (algorithm) {
            case ECDSA_P256_SHA256 -> new String[] {"EC", "P-256", "ES256"};
            case ECDSA_P384_SHA384 -> new String[] {"EC", "P-384", "ES384"};
            case ED25519 -> new String[] {"OKP", "Ed25519", "EdDSA"};
            case RSA_PSS_2048_SHA256 -> new String[] {"RSA", null, "PS256"};
            case RSA_PKCS1_2048_SHA256 -> new String[] {"RSA", null, "RS256"};
            case AES_256_GCM, HMAC_SHA256 -> throw new AssertionError("not asymmetric: " + algorithm);
        };
        assertThat(jwk.path("kty").asText()).isEqualTo(expected[0]);
        if (expected[1] == null) {
            assertThat(jwk.has("crv")).isFalse();
        } else {
            assertThat(jwk.path("crv").asText()).isEqualTo(expected[1]);
        }
        assertThat(jwk.path("alg").asText()).isEqualTo(expected[2]);
        assertThat(jwk.path("use").asText()).isEqualTo("sig");
        assertThat(jwk.path("kid").asText()).isEqualTo("ring/key/3");
        assertThat(jwk.has("d")).as("no private members").isFalse();
        assertThat(rebuildSpki(algorithm, jwk)).as("key rebuilt from the JWK").isEqualTo(pub.spki());
    }

    @Test
    void jwkJson_anyEs256Key_xAndYAre32BytesAndRebuildTheSameKey() {
        // Fresh keys each time: about one in 128 has a coordinate with a leading zero byte,
        // which a JWK must keep (RFC 7518 §6.2.1.2: full field length).
        // A loop, not Generate.constant(supplier): QuickTheories drew that supplier once and ran
        // 1 example, not 200 (counted).
        for (int i = 0; i < 200; i++) {
            SigningKey key = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, TestKeys.RANDOM, CryptoProviders.defaults());
            VerifyingKey pub = key.verifyingKey();
            JsonNode jwk = readJson(pub.jwkJson("k"));

            assertThat(b64u(jwk, "x")).as("key %d", i).hasSize(32);
            assertThat(b64u(jwk, "y")).as("key %d", i).hasSize(32);
            assertThat(rebuildSpki(KeyAlgorithm.ECDSA_P256_SHA256, jwk)).isEqualTo(pub.spki());
        }
    }

    @Test
    void jwkJson_kidWithQuotesAndControlCharacters_isEscaped() {
        String kid = "a\"b\\c\n\u0001/é";
        VerifyingKey pub = TestKeys.signingKey(KeyAlgorithm.ED25519).verifyingKey();

        assertThat(readJson(pub.jwkJson(kid)).path("kid").asText()).isEqualTo(kid);
    }

    @Test
    void jwkJson_sameKey_givesTheSameText() {
        VerifyingKey pub = TestKeys.signingKey(KeyAlgorithm.ECDSA_P384_SHA384).verifyingKey();
        VerifyingKey reimported = VerifyingKey.fromSpki(pub.algorithm(), pub.spki(), CryptoProviders.jdkOnly());

        assertThat(reimported.jwkJson("k")).isEqualTo(pub.jwkJson("k"));
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void fromPem_pemOfAnyKey_givesTheSameKey(KeyAlgorithm algorithm) {
        VerifyingKey pub = TestKeys.signingKey(algorithm).verifyingKey();

        String pem = pub.pem();

        assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n").endsWith("\n-----END PUBLIC KEY-----\n");
        assertThat(pem.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(64));
        VerifyingKey back = VerifyingKey.fromPem(algorithm, pem, CryptoProviders.defaults());
        assertThat(back).isEqualTo(pub);
        assertThat(back.spki()).isEqualTo(pub.spki());
        assertThat(VerifyingKey.fromPem(algorithm, pem.replace("\n", "\r\n"), CryptoProviders.jdkOnly())).isEqualTo(pub);
    }

    @ParameterizedTest
    @EnumSource(value = SignatureWycheproofTest.SignatureFile.class, names = {"ECDSA_P256_DER", "ECDSA_P384_DER",
        "ED25519", "RSA_PKCS1_2048_SHA256", "RSA_PSS_2048_SHA256"})
    void fromPem_wycheproofGroupPems_giveTheGroupsDerKey(SignatureWycheproofTest.SignatureFile file) {
        int groups = 0;
        for (TestGroup group : Wycheproof.load(file.fileName).groups()) {
            VerifyingKey pub = VerifyingKey.fromPem(file.algorithm, group.string("publicKeyPem"), CryptoProviders.defaults());
            assertThat(pub.spki()).isEqualTo(group.hex("publicKeyDer"));
            groups++;
        }
        assertThat(groups).isPositive();
    }

    @Test
    void fromPem_notBase64_failsWithInvalidArgument() {
        assertInvalidArgument(() -> VerifyingKey.fromPem(KeyAlgorithm.ED25519,
                "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", CryptoProviders.defaults()));
    }

    @Test
    void fromSpki_keyOfAnotherCurveOrType_failsWithInvalidArgument() {
        byte[] p384 = TestKeys.signingKey(KeyAlgorithm.ECDSA_P384_SHA384).verifyingKey().spki();
        byte[] rsa = TestKeys.signingKey(KeyAlgorithm.RSA_PKCS1_2048_SHA256).verifyingKey().spki();
        byte[] ed = TestKeys.signingKey(KeyAlgorithm.ED25519).verifyingKey().spki();

        assertInvalidArgument(() -> VerifyingKey.fromSpki(KeyAlgorithm.ECDSA_P256_SHA256, p384, CryptoProviders.defaults()));
        assertInvalidArgument(() -> VerifyingKey.fromSpki(KeyAlgorithm.ECDSA_P256_SHA256, rsa, CryptoProviders.defaults()));
        assertInvalidArgument(() -> VerifyingKey.fromSpki(KeyAlgorithm.ED25519, p384, CryptoProviders.defaults()));
        assertInvalidArgument(() -> VerifyingKey.fromSpki(KeyAlgorithm.RSA_PSS_2048_SHA256, ed, CryptoProviders.defaults()));
        assertInvalidArgument(() -> VerifyingKey.fromSpki(KeyAlgorithm.ED25519, new byte[] {0x30, 0x00},
                CryptoProviders.defaults()));
    }

    @Test
    void fromSpki_rsaKeyShorterThan2048Bits_failsWithInvalidArgument() throws GeneralSecurityException {
        java.security.KeyPairGenerator gen = java.security.KeyPairGenerator.getInstance("RSA");
        gen.initialize(1024);
        byte[] small = gen.generateKeyPair().getPublic().getEncoded();

        assertInvalidArgument(() -> VerifyingKey.fromSpki(KeyAlgorithm.RSA_PKCS1_2048_SHA256, small,
                CryptoProviders.defaults()));
    }

    @Test
    void spki_returnedArray_isACopy() {
        VerifyingKey pub = TestKeys.signingKey(KeyAlgorithm.ED25519).verifyingKey();
        byte[] first = pub.spki();
        first[first.length - 1] ^= 1;

        assertThat(pub.spki()).isNotEqualTo(first);
    }

    /** The SubjectPublicKeyInfo a JWK describes, built only from the JWK's members. */
    private static byte[] rebuildSpki(KeyAlgorithm algorithm, JsonNode jwk) {
        try {
            return switch (algorithm) {
                case ECDSA_P256_SHA256, ECDSA_P384_SHA384 -> {
                    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                    params.init(new ECGenParameterSpec(
                            algorithm == KeyAlgorithm.ECDSA_P256_SHA256 ? "secp256r1" : "secp384r1"));
                    ECPoint w = new ECPoint(new BigInteger(1, b64u(jwk, "x")), new BigInteger(1, b64u(jwk, "y")));
                    yield KeyFactory.getInstance("EC")
                            .generatePublic(new ECPublicKeySpec(w, params.getParameterSpec(ECParameterSpec.class)))
                            .getEncoded();
                }
                case ED25519 -> {
                    byte[] x = b64u(jwk, "x");
                    assertThat(x).hasSize(32);
                    byte[] spki = new byte[ED25519_SPKI_PREFIX.length + x.length];
                    System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
                    System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, x.length);
                    yield spki;
                }
                case RSA_PSS_2048_SHA256, RSA_PKCS1_2048_SHA256 -> {
                    byte[] n = b64u(jwk, "n");
                    byte[] e = b64u(jwk, "e");
                    // Base64urlUInt (RFC 7518 §2): minimal, no leading zero octet.
                    assertThat(n[0]).isNotZero();
                    assertThat(e[0]).isNotZero();
                    yield KeyFactory.getInstance("RSA")
                            .generatePublic(new RSAPublicKeySpec(new BigInteger(1, n), new BigInteger(1, e)))
                            .getEncoded();
                }
                case AES_256_GCM, HMAC_SHA256 -> throw new AssertionError("not asymmetric: " + algorithm);
            };
        } catch (GeneralSecurityException e) {
            throw new AssertionError("JWK does not describe a valid key: " + jwk, e);
        }
    }

    private static byte[] b64u(JsonNode jwk, String member) {
        assertThat(jwk.has(member)).as("JWK member %s", member).isTrue();
        String text = jwk.get(member).asText();
        assertThat(text).as("base64url without padding").doesNotContain("=", "+", "/");
        return Base64.getUrlDecoder().decode(text);
    }

    private static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static void assertInvalidArgument(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
    }
}
