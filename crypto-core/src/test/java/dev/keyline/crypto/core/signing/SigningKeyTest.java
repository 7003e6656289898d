package dev.keyline.crypto.core.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.Gens;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.TestKeys;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.testing.Concurrently;
import dev.keyline.testing.Examples;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.quicktheories.generators.Generate;

/** Sign and verify for every asymmetric algorithm, and verify's refusal of anything else. */
class SigningKeyTest {
    private static final int EXAMPLES = 200;
    private static final byte[] DATA = "the payload".getBytes(StandardCharsets.UTF_8);

    static Stream<KeyAlgorithm> asymmetric() {
        return Stream.of(KeyAlgorithm.values()).filter(KeyAlgorithm::isAsymmetric);
    }

    /** The same public key imported under each provider selection. */
    private static List<VerifyingKey> verifiersOf(SigningKey key) {
        byte[] spki = key.verifyingKey().spki();
        return List.of(key.verifyingKey(), VerifyingKey.fromSpki(key.algorithm(), spki, CryptoProviders.jdkOnly()),
                VerifyingKey.fromSpki(key.algorithm(), spki, CryptoProviders.nativePreferred()));
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void verify_signatureOfTheSameData_returnsTrueUnderEveryProvider(KeyAlgorithm algorithm) {
        SigningKey key = TestKeys.signingKey(algorithm);

        byte[] signature = key.sign(DATA);

        for (VerifyingKey pub : verifiersOf(key)) {
            assertThat(pub.verify(DATA, signature)).as("%s verify", pub).isTrue();
            assertThat(pub.verifyJws(DATA, pub.toJwsSignature(signature))).as("%s verifyJws", pub).isTrue();
        }
    }

    /**
     * One key used from several threads, with rejected and malformed signatures mixed in: the
     * reused Signature engines never leak state from one call into the next.
     */
    @ParameterizedTest
    @MethodSource("asymmetric")
    void signAndVerify_concurrentlyWithFailuresInBetween_answerEachCallOnItsOwn(KeyAlgorithm algorithm) throws Exception {
        SigningKey key = TestKeys.signingKey(algorithm);
        VerifyingKey pub = key.verifyingKey();
        assertThat(Concurrently.allPass(4, seed -> {
            for (int i = 0; i < 50; i++) {
                byte[] data = ("message " + seed + "/" + i).getBytes(StandardCharsets.UTF_8);
                byte[] sig = key.sign(data);
                byte[] other = key.sign(DATA);
                byte[] garbage = new byte[] {0x30, 0x03, 0x02, 0x01, (byte) i};
                if (pub.verify(data, other) || pub.verify(data, garbage) || !pub.verify(data, sig) || !pub.verify(DATA, other)) {
                    return false;
                }
            }
            return true;
        })).isTrue();
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void sign_underJdkOnly_verifiesUnderNativePreferred(KeyAlgorithm algorithm) {
        SigningKey jdkKey = SigningKey.fromPkcs8(algorithm, TestKeys.signingKey(algorithm).pkcs8(),
                VerifyingKey.fromSpki(algorithm, TestKeys.signingKey(algorithm).verifyingKey().spki(),
                        CryptoProviders.jdkOnly()),
                CryptoProviders.jdkOnly());

        byte[] signature = jdkKey.sign(DATA);

        VerifyingKey nativePub = VerifyingKey.fromSpki(algorithm, jdkKey.verifyingKey().spki(),
                CryptoProviders.nativePreferred());
        assertThat(nativePub.verify(DATA, signature)).isTrue();
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void verify_anySingleBitChangeOfTheSignature_returnsFalse(KeyAlgorithm algorithm) {
        SigningKey key = TestKeys.signingKey(algorithm);
        List<VerifyingKey> verifiers = verifiersOf(key);
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES)).forAll(Gens.bytes(0, 128), Generate.range(0, Integer.MAX_VALUE))
                .checkAssert((data, bitSeed) -> {
                    examples.ran();
                    byte[] signature = key.sign(data);
                    int bit = bitSeed % (signature.length * 8);
                    signature[bit / 8] ^= (byte) (1 << (bit % 8));

                    for (VerifyingKey pub : verifiers) {
                        assertThat(pub.verify(data, signature)).as("%s, bit %d", pub, bit).isFalse();
                    }
                });
        examples.assertAtLeast(EXAMPLES);
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void verify_arbitraryBytesAsSignature_returnsFalseAndNeverThrows(KeyAlgorithm algorithm) {
        List<VerifyingKey> verifiers = verifiersOf(TestKeys.signingKey(algorithm));
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES)).forAll(Gens.bytes(0, 600)).checkAssert(garbage -> {
            examples.ran();
            for (VerifyingKey pub : verifiers) {
                assertThat(pub.verify(DATA, garbage)).as("%s verify", pub).isFalse();
                assertThat(pub.verifyJws(DATA, garbage)).as("%s verifyJws", pub).isFalse();
            }
        });
        examples.assertAtLeast(EXAMPLES);
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void verify_signatureOfOtherData_returnsFalse(KeyAlgorithm algorithm) {
        SigningKey key = TestKeys.signingKey(algorithm);
        byte[] signature = key.sign(DATA);

        for (VerifyingKey pub : verifiersOf(key)) {
            assertThat(pub.verify("the payloaD".getBytes(StandardCharsets.UTF_8), signature)).isFalse();
            assertThat(pub.verify(new byte[0], signature)).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void verify_signatureByAnotherKeyOfTheSameAlgorithm_returnsFalse(KeyAlgorithm algorithm) {
        List<SigningKey> keys = TestKeys.pool(algorithm, 2);

        byte[] signature = keys.get(0).sign(DATA);

        for (VerifyingKey pub : verifiersOf(keys.get(1))) {
            assertThat(pub.verify(DATA, signature)).isFalse();
        }
    }

    @Test
    void verify_rsaPkcs1SignatureUnderThePssKeyOfTheSameModulus_returnsFalse() {
        SigningKey pkcs1 = TestKeys.signingKey(KeyAlgorithm.RSA_PKCS1_2048_SHA256);
        VerifyingKey asPss = VerifyingKey.fromSpki(KeyAlgorithm.RSA_PSS_2048_SHA256, pkcs1.verifyingKey().spki(),
                CryptoProviders.defaults());

        assertThat(asPss.verify(DATA, pkcs1.sign(DATA))).isFalse();
    }

    @Test
    void verify_p384SignatureAgainstP256Key_returnsFalse() {
        byte[] p384Signature = TestKeys.signingKey(KeyAlgorithm.ECDSA_P384_SHA384).sign(DATA);

        for (VerifyingKey pub : verifiersOf(TestKeys.signingKey(KeyAlgorithm.ECDSA_P256_SHA256))) {
            assertThat(pub.verify(DATA, p384Signature)).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void fromPkcs8_exportedPrivateKey_signsForTheSamePublicKey(KeyAlgorithm algorithm) {
        SigningKey key = TestKeys.signingKey(algorithm);

        SigningKey imported = SigningKey.fromPkcs8(algorithm, key.pkcs8(), key.verifyingKey(), CryptoProviders.defaults());

        assertThat(imported.pkcs8()).isEqualTo(key.pkcs8());
        assertThat(key.verifyingKey().verify(DATA, imported.sign(DATA))).isTrue();
    }

    @Test
    void fromPkcs8_publicKeyOfAnotherAlgorithm_failsWithAlgorithmMismatch() {
        SigningKey p256 = TestKeys.signingKey(KeyAlgorithm.ECDSA_P256_SHA256);
        VerifyingKey ed = TestKeys.signingKey(KeyAlgorithm.ED25519).verifyingKey();

        assertThatThrownBy(() -> SigningKey.fromPkcs8(KeyAlgorithm.ECDSA_P256_SHA256, p256.pkcs8(), ed,
                CryptoProviders.defaults()))
                .isInstanceOfSatisfying(CryptoException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ALGORITHM_MISMATCH));
    }

    @Test
    void fromPkcs8_garbage_failsWithInvalidArgument() {
        SigningKey p256 = TestKeys.signingKey(KeyAlgorithm.ECDSA_P256_SHA256);

        assertThatThrownBy(() -> SigningKey.fromPkcs8(KeyAlgorithm.ECDSA_P256_SHA256,
                SecretBytes.copyOf(new byte[] {0x30, 0x03, 0x02, 0x01, 0x00}),
                p256.verifyingKey(), CryptoProviders.defaults()))
                .isInstanceOfSatisfying(CryptoException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
    }

    @Test
    void generate_symmetricAlgorithm_isRejected() {
        assertThatThrownBy(() -> SigningKey.generate(KeyAlgorithm.AES_256_GCM, TestKeys.RANDOM, CryptoProviders.defaults()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void toString_anyKey_namesTheAlgorithmButNotTheKey(KeyAlgorithm algorithm) {
        SigningKey key = TestKeys.signingKey(algorithm);
        String pkcs8Base64 = Base64.getEncoder().encodeToString(key.pkcs8().toByteArray());

        assertThat(key.toString()).contains(algorithm.name()).contains("redacted")
                .doesNotContain(pkcs8Base64.substring(pkcs8Base64.length() - 16));
    }

    @ParameterizedTest
    @MethodSource("asymmetric")
    void toJwsSignature_notDerForEcdsa_failsWithSignatureInvalid(KeyAlgorithm algorithm) {
        VerifyingKey pub = TestKeys.signingKey(algorithm).verifyingKey();
        byte[] notDer = {1, 2, 3};

        if (algorithm == KeyAlgorithm.ECDSA_P256_SHA256 || algorithm == KeyAlgorithm.ECDSA_P384_SHA384) {
            assertThatThrownBy(() -> pub.toJwsSignature(notDer)).isInstanceOfSatisfying(CryptoException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.SIGNATURE_INVALID));
        } else {
            assertThat(pub.toJwsSignature(notDer)).containsExactly(1, 2, 3);
        }
    }
}
