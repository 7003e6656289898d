package dev.keyline.crypto.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testing.Examples;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

class CharClassTest {
    /** Strings over an alphabet that straddles every class boundary used in the code base. */
    private static final String ALPHABET = "az09AZ._-:/+ ~é\u0000\u007f\u0080\u00ffk";

    private static Gen<String> strings(int maxLength) {
        return Generate.intArrays(Generate.range(0, maxLength), Generate.range(0, ALPHABET.length() - 1)).map(idx -> {
            StringBuilder b = new StringBuilder();
            for (int i : idx) {
                b.append(ALPHABET.charAt(i));
            }
            return b.toString();
        });
    }

    @Test
    void matches_agreesWithTheEquivalentRegex() {
        CharClass cls = CharClass.of("A-Za-z0-9._:-");
        Pattern regex = Pattern.compile("[A-Za-z0-9._:-]{1,12}");
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(500)).forAll(strings(16))
                .checkAssert(s -> {
            examples.ran();
            assertThat(cls.matches(s, 1, 12)).as(s).isEqualTo(regex.matcher(s).matches());
        });
        examples.assertAtLeast(500);
    }

    @Test
    void keyIdNames_agreeWithTheDocumentedRegex() {
        Pattern name = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(500)).forAll(strings(70))
                .checkAssert(s -> {
            examples.ran();
            assertThat(KeyId.validName(s)).as(s).isEqualTo(name.matcher(s).matches());
        });
        examples.assertAtLeast(500);
        assertThat(KeyId.validName("a".repeat(64))).isTrue();
        assertThat(KeyId.validName("a".repeat(65))).isFalse();
        assertThat(KeyId.validName(null)).isFalse();
    }

    @Test
    void printableAscii_isSpaceToTilde() {
        CharClass p = CharClass.printableAscii();

        assertThat(p.matches(" ~azAZ09!", 0, 10)).isTrue();
        assertThat(p.matches("\u007f", 0, 10)).isFalse();
        assertThat(p.matches("é", 0, 10)).isFalse();
        assertThat(p.matches("", 0, 0)).isTrue();
    }

    @Test
    void of_nonAsciiRange_isRefused() {
        assertThatThrownBy(() -> CharClass.of("a-é")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CharClass.of("z-a")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void correlationIds_freshOnesAreValidAndDistinct() {
        String a = CorrelationIds.newId();
        String b = CorrelationIds.newId();

        assertThat(CorrelationIds.isValid(a)).isTrue();
        assertThat(a).isNotEqualTo(b).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(CorrelationIds.isValid("x".repeat(129))).isFalse();
        assertThat(CorrelationIds.isValid(null)).isFalse();
    }
}
