package dev.keyline.crypto.core.mac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.Gens;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.testing.Examples;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

class HmacSha256Test {

    @Test
    void compute_rfc4231TestCase2_givesThePublishedTag() {
        HmacSha256 mac = HmacSha256.of(SecretBytes.copyOf("Jefe".getBytes(StandardCharsets.US_ASCII)));

        byte[] tag = mac.compute("what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII));

        assertThat(HexFormat.of().formatHex(tag))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    @Test
    void verify_anyTruncationFrom16To32Bytes_isTrueAndShorterIsFalse() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.bytes(1, 64), Gens.bytes(0, 256), Generate.range(0, HmacSha256.TAG_BYTES))
                .checkAssert((key, data, length) -> {
                    examples.ran();
                    HmacSha256 mac = HmacSha256.of(SecretBytes.copyOf(key));
                    byte[] tag = Arrays.copyOf(mac.compute(data), length);

                    // Below 128 bits a tag is too easy to guess, even when it is a correct prefix.
                    assertThat(mac.verify(data, tag)).as("%d-byte tag", length).isEqualTo(length >= 16);
                });
        examples.assertAtLeast(200);
    }

    @Test
    void verify_tagLongerThan32Bytes_isFalse() {
        HmacSha256 mac = HmacSha256.of(SecretBytes.copyOf(new byte[32]));
        byte[] data = {1, 2, 3};

        assertThat(mac.verify(data, Arrays.copyOf(mac.compute(data), 33))).isFalse();
    }

    @Test
    void verify_anySingleBitChangeOfTheTag_isFalse() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.bytes(32), Gens.bytes(0, 256), Generate.range(0, 8 * HmacSha256.TAG_BYTES - 1))
                .checkAssert((key, data, bit) -> {
                    examples.ran();
                    HmacSha256 mac = HmacSha256.of(SecretBytes.copyOf(key));
                    byte[] tag = mac.compute(data);
                    tag[bit / 8] ^= (byte) (1 << (bit % 8));

                    assertThat(mac.verify(data, tag)).isFalse();
                });
        examples.assertAtLeast(200);
    }

    @Test
    void of_emptyKey_failsWithInvalidArgument() {
        assertThatThrownBy(() -> HmacSha256.of(SecretBytes.copyOf(new byte[0])))
                .isInstanceOfSatisfying(CryptoException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
    }

    @Test
    void toString_anyKey_isRedacted() {
        assertThat(HmacSha256.of(SecretBytes.copyOf("Jefe".getBytes(StandardCharsets.US_ASCII))).toString())
                .isEqualTo("HmacSha256[key redacted]");
    }
}
