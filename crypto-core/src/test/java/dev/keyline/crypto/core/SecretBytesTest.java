package dev.keyline.crypto.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.keyline.testing.Examples;
import java.util.Arrays;
import org.quicktheories.generators.Generate;
import org.junit.jupiter.api.Test;

class SecretBytesTest {

    @Test
    void toString_anyContent_isRedacted() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.bytes(0, 64)).checkAssert(bytes -> {
            examples.ran();
            SecretBytes secret = SecretBytes.copyOf(bytes);

            assertThat(secret.toString()).isEqualTo("SecretBytes[redacted]");
            assertThat("" + secret).isEqualTo("SecretBytes[redacted]");
        });
        examples.assertAtLeast(200);
    }

    @Test
    void equals_sameContentInDifferentArrays_isTrue() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.bytes(0, 64)).checkAssert(bytes -> {
            examples.ran();
            SecretBytes a = SecretBytes.copyOf(bytes);
            SecretBytes b = SecretBytes.copyOf(bytes.clone());

            assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
            assertThat(a.equalsSecretBytes(b)).isTrue();
        });
        examples.assertAtLeast(200);
    }

    @Test
    void equals_contentDifferingInOneByteOrInLength_isFalse() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(Gens.bytes(1, 64), Generate.range(0, 63))
                .checkAssert((bytes, i) -> {
                    examples.ran();
                    byte[] other = bytes.clone();
                    other[i % other.length] ^= 1;
                    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);

                    assertThat(SecretBytes.copyOf(bytes)).isNotEqualTo(SecretBytes.copyOf(other));
                    assertThat(SecretBytes.copyOf(bytes)).isNotEqualTo(SecretBytes.copyOf(longer));
                });
        examples.assertAtLeast(200);
    }

    @Test
    void equals_notSecretBytes_isFalse() {
        byte[] bytes = {1, 2, 3};

        assertThat(SecretBytes.copyOf(bytes).equals(bytes)).isFalse();
        assertThat(SecretBytes.copyOf(bytes).equals(null)).isFalse();
    }

    @Test
    void copyOf_laterChangeToTheSourceArray_doesNotChangeTheSecret() {
        byte[] source = {1, 2, 3};
        SecretBytes secret = SecretBytes.copyOf(source);

        source[0] = 9;

        assertThat(secret.toByteArray()).containsExactly(1, 2, 3);
    }

    @Test
    void toByteArray_changeToTheReturnedArray_doesNotChangeTheSecret() {
        SecretBytes secret = SecretBytes.copyOf(new byte[] {1, 2, 3});

        secret.toByteArray()[0] = 9;

        assertThat(secret.toByteArray()).containsExactly(1, 2, 3);
        assertThat(secret.size()).isEqualTo(3);
    }

    @Test
    void destroy_afterwards_holdsOnlyZeros() {
        SecretBytes secret = SecretBytes.copyOf(new byte[] {1, 2, 3});

        secret.destroy();

        assertThat(secret.toByteArray()).containsExactly(0, 0, 0);
    }

    @Test
    void hashCode_differentContent_isTheSame() {
        // A content hash would leak bits of the secret into hash tables and logs.
        assertThat(SecretBytes.copyOf(new byte[] {1}).hashCode()).isEqualTo(SecretBytes.copyOf(new byte[] {2, 3}).hashCode());
    }
}
