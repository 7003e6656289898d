package dev.keyline.crypto.core.aead;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.Gens;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.TestKeys;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.testing.Concurrently;
import dev.keyline.testing.Examples;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

class AesGcmTest {
    private static final int EXAMPLES = 200;

    /** The parts of a sealed message a single-bit change can hit. */
    enum Part { AAD, IV, TAG, CIPHERTEXT }

    private static AesGcm newAead(byte[] key) {
        return AesGcm.of(SecretBytes.copyOf(key), CryptoProviders.defaults().aead());
    }

    @Test
    void decrypt_ofAnyPlaintextAndAad_returnsThePlaintext() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES))
                .forAll(Gens.bytes(AesGcm.KEY_BYTES), Gens.bytes(0, 4096), Gens.bytes(0, 256))
                .checkAssert((key, plaintext, aad) -> {
                    examples.ran();
                    AesGcm aead = newAead(key);
                    AeadCiphertext sealed = aead.encrypt(plaintext, aad, TestKeys.RANDOM);

                    assertThat(sealed.ciphertext()).hasSameSizeAs(plaintext);
                    assertThat(sealed.iv()).hasSize(AesGcm.IV_BYTES);
                    assertThat(sealed.tag()).hasSize(AesGcm.TAG_BYTES);
                    assertThat(aead.decrypt(sealed, aad)).isEqualTo(plaintext);
                    // The blob form carries the same three fields.
                    assertThat(aead.decrypt(AeadCiphertext.fromConcatenated(sealed.concatenated()), aad))
                            .isEqualTo(plaintext);
                });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void decrypt_afterAnySingleBitChange_failsWithDecryptionFailed() {
        Gen<Part> parts = Generate.enumValues(Part.class);
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES))
                .forAll(Gens.bytes(1, 512), Gens.bytes(1, 64), parts, Generate.range(0, Integer.MAX_VALUE))
                .checkAssert((plaintext, aad, part, bitSeed) -> {
                    examples.ran();
                    AesGcm aead = newAead(key());
                    AeadCiphertext sealed = aead.encrypt(plaintext, aad, TestKeys.RANDOM);
                    byte[] ct = sealed.ciphertext();
                    byte[] iv = sealed.iv();
                    byte[] tag = sealed.tag();
                    byte[] badAad = aad.clone();
                    byte[] target = switch (part) {
                        case AAD -> badAad;
                        case IV -> iv;
                        case TAG -> tag;
                        case CIPHERTEXT -> ct;
                    };
                    int bit = bitSeed % (target.length * 8);
                    target[bit / 8] ^= (byte) (1 << (bit % 8));

                    assertThatThrownBy(() -> aead.decrypt(AeadCiphertext.of(ct, iv, tag), badAad))
                            .isInstanceOfSatisfying(CryptoException.class,
                                    e -> assertThat(e.reason()).isEqualTo(Reason.DECRYPTION_FAILED));
                });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void encrypt_ofASliceOfABuffer_equalsEncryptingTheSliceAlone_andItsPartsReadInPlace() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES))
                .forAll(Gens.bytes(AesGcm.KEY_BYTES), Gens.bytes(0, 2048), Generate.range(0, 64), Generate.range(0, 64))
                .checkAssert((key, plaintext, before, after) -> {
                    examples.ran();
                    AesGcm aead = newAead(key);
                    byte[] buffer = new byte[before + plaintext.length + after];
                    Arrays.fill(buffer, (byte) 0x5a);
                    System.arraycopy(plaintext, 0, buffer, before, plaintext.length);
                    byte[] aad = {1, 2, 3};

                    AeadCiphertext sealed = aead.encrypt(buffer, before, plaintext.length, aad, TestKeys.RANDOM);

                    assertThat(aead.decrypt(sealed, aad)).isEqualTo(plaintext);
                    assertThat(sealed.ciphertextLength()).isEqualTo(plaintext.length);
                    sealed.readParts((iv, ciphertextThenTag, n) -> {
                        assertThat(iv).isEqualTo(sealed.iv());
                        assertThat(Arrays.copyOf(ciphertextThenTag, n)).isEqualTo(sealed.ciphertext());
                        assertThat(Arrays.copyOfRange(ciphertextThenTag, n, ciphertextThenTag.length)).isEqualTo(sealed.tag());
                        return null;
                    });
                    // The same three fields rebuilt from a slice of a larger buffer.
                    byte[] ct = sealed.ciphertext();
                    byte[] padded = new byte[before + ct.length + after];
                    System.arraycopy(ct, 0, padded, before, ct.length);
                    AeadCiphertext rebuilt = AeadCiphertext.of(padded, before, ct.length, sealed.iv(), sealed.tag());
                    assertThat(rebuilt).isEqualTo(sealed);
                    assertThat(aead.decrypt(rebuilt, aad)).isEqualTo(plaintext);
                });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void encrypt_sliceOutsideTheBuffer_isRefused() {
        AesGcm aead = newAead(new byte[AesGcm.KEY_BYTES]);

        assertThatThrownBy(() -> aead.encrypt(new byte[10], 5, 6, new byte[0], TestKeys.RANDOM))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> AeadCiphertext.of(new byte[10], -1, 2, new byte[12], new byte[16]))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void decrypt_withDifferentKey_failsWithDecryptionFailed() {
        AeadCiphertext sealed = newAead(key()).encrypt(new byte[] {1, 2, 3}, new byte[0], TestKeys.RANDOM);

        assertDecryptionFails(() -> newAead(key()).decrypt(sealed, new byte[0]));
    }

    @Test
    void decrypt_withAadExtendedOrDropped_failsWithDecryptionFailed() {
        AesGcm aead = newAead(key());
        byte[] aad = {7, 7, 7};
        AeadCiphertext sealed = aead.encrypt(new byte[] {1, 2, 3}, aad, TestKeys.RANDOM);

        assertDecryptionFails(() -> aead.decrypt(sealed, new byte[] {7, 7, 7, 0}));
        assertDecryptionFails(() -> aead.decrypt(sealed, new byte[0]));
    }

    @Test
    void decrypt_truncatedTag_failsWithDecryptionFailed() {
        AesGcm aead = newAead(key());
        AeadCiphertext sealed = aead.encrypt(new byte[] {1, 2, 3}, new byte[0], TestKeys.RANDOM);
        byte[] shortTag = Arrays.copyOf(sealed.tag(), 12);

        assertDecryptionFails(() -> aead.decrypt(AeadCiphertext.of(sealed.ciphertext(), sealed.iv(), shortTag), new byte[0]));
    }

    @Test
    void encrypt_samePlaintextTwice_usesFreshIvs() {
        AesGcm aead = newAead(key());
        byte[] plaintext = new byte[16];

        AeadCiphertext first = aead.encrypt(plaintext, new byte[0], TestKeys.RANDOM);
        AeadCiphertext second = aead.encrypt(plaintext, new byte[0], TestKeys.RANDOM);

        assertThat(first.iv()).isNotEqualTo(second.iv());
        assertThat(first.ciphertext()).isNotEqualTo(second.ciphertext());
    }

    @Test
    void encryptWithIv_ivShorterThan8Bytes_failsWithInvalidArgument() {
        AesGcm aead = newAead(key());

        assertThatThrownBy(() -> aead.encryptWithIv(new byte[] {1}, new byte[0], new byte[7]))
                .isInstanceOfSatisfying(CryptoException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
    }

    @Test
    void of_keyNot32Bytes_failsWithInvalidArgument() {
        for (int size : new int[] {0, 16, 24, 31, 33}) {
            assertThatThrownBy(() -> AesGcm.of(SecretBytes.copyOf(new byte[size])))
                    .as("%d-byte key", size)
                    .isInstanceOfSatisfying(CryptoException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
        }
    }

    @Test
    void anySize_keyOf16Or24Bytes_isAccepted() {
        for (int size : new int[] {16, 24}) {
            AesGcm aead = AesGcm.anySize(SecretBytes.copyOf(new byte[size]), CryptoProviders.defaults().aead());
            assertThat(aead.decrypt(aead.encrypt(new byte[] {9}, new byte[0], TestKeys.RANDOM), new byte[0]))
                    .containsExactly(9);
        }
    }

    @Test
    void toString_anyKey_doesNotPrintTheKey() {
        byte[] key = new byte[AesGcm.KEY_BYTES];
        Arrays.fill(key, (byte) 0xab);

        assertThat(newAead(key).toString()).contains("redacted").doesNotContainIgnoringCase("abab");
    }

    @Test
    void fromConcatenated_blobShorterThanIvAndTag_isRejected() {
        assertThatThrownBy(() -> AeadCiphertext.fromConcatenated(new byte[AesGcm.IV_BYTES + AesGcm.TAG_BYTES - 1]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decryptFramed_ofAnyPrefixPlaintextAndAad_returnsThePlaintextAndMatchesTheUnframedForm() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES))
                .forAll(Gens.bytes(0, 200), Gens.bytes(0, 2048), Gens.bytes(0, 64))
                .checkAssert((prefix, plaintext, aad) -> {
                    examples.ran();
                    AesGcm aead = newAead(key());
                    byte[] framed = aead.encryptFramed(prefix, plaintext, aad, TestKeys.RANDOM);

                    assertThat(framed).hasSize(prefix.length + AesGcm.IV_BYTES + plaintext.length + AesGcm.TAG_BYTES);
                    assertThat(Arrays.copyOf(framed, prefix.length)).isEqualTo(prefix);
                    assertThat(aead.decryptFramed(framed, prefix.length, aad)).isEqualTo(plaintext);
                    // The body is the ordinary iv ‖ ciphertext ‖ tag under AAD prefix ‖ aad.
                    byte[] body = Arrays.copyOfRange(framed, prefix.length, framed.length);
                    byte[] fullAad = Arrays.copyOf(prefix, prefix.length + aad.length);
                    System.arraycopy(aad, 0, fullAad, prefix.length, aad.length);
                    assertThat(aead.decrypt(AeadCiphertext.fromConcatenated(body), fullAad)).isEqualTo(plaintext);
                });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void decryptFramed_afterAnySingleBitChangeOfFrameOrAad_failsWithDecryptionFailed() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES))
                .forAll(Gens.bytes(0, 64), Gens.bytes(0, 256), Gens.bytes(1, 32), Generate.range(0, Integer.MAX_VALUE))
                .checkAssert((prefix, plaintext, aad, bitSeed) -> {
                    examples.ran();
                    AesGcm aead = newAead(key());
                    byte[] framed = aead.encryptFramed(prefix, plaintext, aad, TestKeys.RANDOM);
                    int bits = (framed.length + aad.length) * 8;
                    int bit = bitSeed % bits;
                    byte[] badFrame = framed.clone();
                    byte[] badAad = aad.clone();
                    if (bit < framed.length * 8) {
                        badFrame[bit / 8] ^= (byte) (1 << (bit % 8));
                    } else {
                        int b = bit - framed.length * 8;
                        badAad[b / 8] ^= (byte) (1 << (b % 8));
                    }

                    assertDecryptionFails(() -> aead.decryptFramed(badFrame, prefix.length, badAad));
                });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void decryptFramed_tooShortForIvAndTag_failsWithDecryptionFailed() {
        AesGcm aead = newAead(key());

        assertDecryptionFails(() -> aead.decryptFramed(new byte[10 + AesGcm.IV_BYTES + AesGcm.TAG_BYTES - 1], 10, new byte[0]));
        assertDecryptionFails(() -> aead.decryptFramed(new byte[40], 41, new byte[0]));
    }

    /**
     * One key used from several threads, with tampered ciphertexts mixed in: the reused Cipher
     * engines never carry state from a failed or earlier call into the next.
     */
    @Test
    void encryptAndDecrypt_concurrentlyWithFailuresInBetween_answerEachCallOnItsOwn() throws Exception {
        AesGcm aead = newAead(key());
        assertThat(Concurrently.allPass(4, seed -> {
            for (int i = 0; i < 200; i++) {
                byte[] pt = new byte[i];
                Arrays.fill(pt, (byte) seed);
                byte[] aad = {(byte) seed, (byte) i};
                AeadCiphertext sealed = aead.encrypt(pt, aad, TestKeys.RANDOM);
                byte[] framed = aead.encryptFramed(aad, pt, aad, TestKeys.RANDOM);
                byte[] bad = framed.clone();
                bad[bad.length - 1] ^= 1;
                try {
                    aead.decryptFramed(bad, aad.length, aad);
                    return false;
                } catch (CryptoException expected) {
                    // and the next call must still work
                }
                if (!Arrays.equals(aead.decrypt(sealed, aad), pt) || !Arrays.equals(aead.decryptFramed(framed, aad.length, aad), pt)) {
                    return false;
                }
            }
            return true;
        })).isTrue();
    }

    private static byte[] key() {
        byte[] key = new byte[AesGcm.KEY_BYTES];
        TestKeys.RANDOM.nextBytes(key);
        return key;
    }

    private static void assertDecryptionFails(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.DECRYPTION_FAILED));
    }
}
