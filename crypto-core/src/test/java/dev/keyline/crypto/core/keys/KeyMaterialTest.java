package dev.keyline.crypto.core.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.Gens;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.TestKeys;
import dev.keyline.crypto.core.aead.AeadCiphertext;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.core.signing.VerifyingKey;
import dev.keyline.testing.Examples;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.generators.Generate;

class KeyMaterialTest {
    private static final int EXAMPLES = 200;
    private static final CryptoProviders JDK = CryptoProviders.jdkOnly();
    private static final CryptoProviders NATIVE = CryptoProviders.nativePreferred();

    /**
     * RSA material, made once per class: generating 2048-bit keys for each of 200 examples would
     * take about a minute. Half come from each provider selection, so both directions of
     * "written by one, read by the other" are covered. Every other algorithm gets fresh material
     * in every example.
     */
    private static final Map<KeyAlgorithm, List<KeyMaterial>> RSA_POOL = new EnumMap<>(KeyAlgorithm.class);

    @BeforeAll
    static void generateRsaMaterial() {
        for (KeyAlgorithm rsa : List.of(KeyAlgorithm.RSA_PSS_2048_SHA256, KeyAlgorithm.RSA_PKCS1_2048_SHA256)) {
            List<KeyMaterial> pool = new ArrayList<>();
            for (CryptoProviders providers : List.of(NATIVE, JDK, NATIVE, JDK)) {
                pool.add(KeyMaterial.generate(rsa, TestKeys.RANDOM, providers));
            }
            RSA_POOL.put(rsa, pool);
        }
    }

    private static boolean isRsa(KeyAlgorithm algorithm) {
        return RSA_POOL.containsKey(algorithm);
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void deserialize_serializedMaterial_givesAKeyInterchangeableWithTheOriginal(KeyAlgorithm algorithm) {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES))
                .forAll(Generate.range(0, Integer.MAX_VALUE), Generate.booleans(), Gens.bytes(0, 1024))
                .checkAssert((pick, writtenByNative, data) -> {
                    examples.ran();
                    KeyMaterial original = isRsa(algorithm)
                            ? RSA_POOL.get(algorithm).get(pick % RSA_POOL.get(algorithm).size())
                            : KeyMaterial.generate(algorithm, TestKeys.RANDOM, writtenByNative ? NATIVE : JDK);
                    // Read back under the other selection, as a replica without the native library would.
                    CryptoProviders reader = writtenByNative ? JDK : NATIVE;

                    KeyMaterial restored = KeyMaterial.deserialize(algorithm, original.serialize(), reader);

                    assertThat(restored.algorithm()).isEqualTo(algorithm);
                    assertThat(restored.serialize()).isEqualTo(original.serialize());
                    assertInterchangeable(algorithm, original, restored, data);
                });
        examples.assertAtLeast(EXAMPLES);
    }

    private static void assertInterchangeable(KeyAlgorithm algorithm, KeyMaterial a, KeyMaterial b, byte[] data) {
        assertThat(a.aead().isPresent()).isEqualTo(algorithm.canEncrypt()).isEqualTo(b.aead().isPresent());
        assertThat(a.mac().isPresent()).isEqualTo(algorithm == KeyAlgorithm.HMAC_SHA256).isEqualTo(b.mac().isPresent());
        assertThat(a.signingKey().isPresent()).isEqualTo(algorithm.isAsymmetric()).isEqualTo(b.signingKey().isPresent());
        switch (algorithm.purpose()) {
            case ENCRYPTION -> {
                AesGcm aeadA = a.aead().orElseThrow();
                AesGcm aeadB = b.aead().orElseThrow();
                byte[] aad = Arrays.copyOf(data, Math.min(data.length, 16));
                AeadCiphertext byA = aeadA.encrypt(data, aad, TestKeys.RANDOM);
                AeadCiphertext byB = aeadB.encrypt(data, aad, TestKeys.RANDOM);
                assertThat(aeadB.decrypt(byA, aad)).isEqualTo(data);
                assertThat(aeadA.decrypt(byB, aad)).isEqualTo(data);
            }
            case MAC -> {
                HmacSha256 macA = a.mac().orElseThrow();
                HmacSha256 macB = b.mac().orElseThrow();
                assertThat(macB.compute(data)).isEqualTo(macA.compute(data));
                assertThat(macB.verify(data, macA.compute(data))).isTrue();
            }
            case SIGNING -> {
                SigningKey keyA = a.signingKey().orElseThrow();
                SigningKey keyB = b.signingKey().orElseThrow();
                VerifyingKey pubA = a.verifyingKey().orElseThrow();
                VerifyingKey pubB = b.verifyingKey().orElseThrow();
                assertThat(pubB).isEqualTo(pubA);
                assertThat(pubB.verify(data, keyA.sign(data))).as("signed by original, verified by restored").isTrue();
                assertThat(pubA.verify(data, keyB.sign(data))).as("signed by restored, verified by original").isTrue();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = "HMAC_SHA256", mode = EnumSource.Mode.EXCLUDE)
    void deserialize_anyTruncation_failsWithInternal(KeyAlgorithm algorithm) {
        // HMAC is left out: a shorter HMAC key is still an HMAC key, so truncation cannot be seen.
        byte[] full = material(algorithm).serialize().toByteArray();
        // Every length, not a sample: the domain is the key's size (as few as 33 lengths), so a
        // random draw of 200 ran only 33 to 174 distinct examples (counted).
        for (int length = 0; length < full.length; length++) {
            SecretBytes truncated = SecretBytes.copyOf(Arrays.copyOf(full, length));

            assertThatThrownBy(() -> KeyMaterial.deserialize(algorithm, truncated, CryptoProviders.defaults()))
                    .as("truncated to %d of %d bytes", length, full.length)
                    .isInstanceOfSatisfying(CryptoException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.INTERNAL));
        }
    }

    @Test
    void deserialize_unknownFormatVersion_failsWithInternal() {
        byte[] bytes = material(KeyAlgorithm.AES_256_GCM).serialize().toByteArray();
        bytes[0] = 2;

        assertInternal(() -> KeyMaterial.deserialize(KeyAlgorithm.AES_256_GCM, SecretBytes.copyOf(bytes),
                CryptoProviders.defaults()));
    }

    @Test
    void deserialize_materialOfAnotherAlgorithm_failsWithInternal() {
        SecretBytes p256 = material(KeyAlgorithm.ECDSA_P256_SHA256).serialize();

        assertInternal(() -> KeyMaterial.deserialize(KeyAlgorithm.ED25519, p256, CryptoProviders.defaults()));
        assertInternal(() -> KeyMaterial.deserialize(KeyAlgorithm.ECDSA_P384_SHA384, p256, CryptoProviders.defaults()));
        assertInternal(() -> KeyMaterial.deserialize(KeyAlgorithm.AES_256_GCM, p256, CryptoProviders.defaults()));
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void toString_anyMaterial_namesTheAlgorithmOnly(KeyAlgorithm algorithm) {
        KeyMaterial m = material(algorithm);

        assertThat(m.toString()).isEqualTo("KeyMaterial[" + algorithm + ", redacted]");
        assertThat(m.serialize().toString()).isEqualTo("SecretBytes[redacted]");
    }

    @Test
    void generate_symmetricKeys_are32Bytes() {
        // Format byte + 32 key bytes.
        assertThat(material(KeyAlgorithm.AES_256_GCM).serialize().size()).isEqualTo(33);
        assertThat(material(KeyAlgorithm.HMAC_SHA256).serialize().size()).isEqualTo(33);
    }

    @Test
    void generate_twice_givesDifferentMaterial() {
        assertThat(material(KeyAlgorithm.AES_256_GCM).serialize()).isNotEqualTo(material(KeyAlgorithm.AES_256_GCM).serialize());
        assertThat(material(KeyAlgorithm.ED25519).serialize()).isNotEqualTo(material(KeyAlgorithm.ED25519).serialize());
    }

    private static KeyMaterial material(KeyAlgorithm algorithm) {
        return isRsa(algorithm) ? RSA_POOL.get(algorithm).get(0)
                : KeyMaterial.generate(algorithm, TestKeys.RANDOM, CryptoProviders.defaults());
    }

    private static void assertInternal(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INTERNAL));
    }
}
