package dev.keyline.crypto.core.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.testing.Examples;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

class KeyIdTest {
    private static final int EXAMPLES = 300;
    private static final List<Character> FIRST = chars("abcdefghijklmnopqrstuvwxyz0123456789");
    private static final List<Character> REST = chars("abcdefghijklmnopqrstuvwxyz0123456789._-");

    /** Names matching {@code [a-z0-9][a-z0-9._-]{0,63}}. */
    private static Gen<String> names() {
        Gen<String> tails = SourceDSL.lists().of(Generate.pick(REST)).ofSizeBetween(0, 63)
                .map(l -> l.stream().map(String::valueOf).collect(Collectors.joining()));
        return Generate.pick(FIRST).zip(tails, (c, tail) -> c + tail);
    }

    private static Gen<KeyId> keyIds() {
        return names().zip(names(), Generate.range(0, Integer.MAX_VALUE), KeyId::of);
    }

    /** Ways to break the text form of a valid key id. */
    enum Corruption {
        UPPERCASE_IN_NAMESPACE, BAD_CHARACTER_IN_ID, PUNCTUATION_FIRST, NAMESPACE_TOO_LONG, EMPTY_NAMESPACE,
        EMPTY_ID, EMPTY_VERSION, NEGATIVE_VERSION, SIGNED_VERSION, VERSION_WITH_LEADING_ZERO, NON_ASCII_DIGIT_VERSION,
        VERSION_OVERFLOW, NON_NUMERIC_VERSION, EXTRA_SEGMENT, NO_SEPARATOR, SURROUNDING_SPACE
    }

    private static String corrupt(KeyId id, Corruption how, int seed) {
        String ns = id.namespace();
        String name = id.id();
        int version = id.version();
        return switch (how) {
            case UPPERCASE_IN_NAMESPACE -> insert(ns, pickChar("ABCZ", seed), seed) + "/" + name + "/" + version;
            case BAD_CHARACTER_IN_ID -> ns + "/" + insert(name, pickChar(" +:@*\u00e9\u0131\\", seed), seed) + "/" + version;
            case PUNCTUATION_FIRST -> pickChar("._-", seed) + ns + "/" + name + "/" + version;
            case NAMESPACE_TOO_LONG -> "a".repeat(65) + "/" + name + "/" + version;
            case EMPTY_NAMESPACE -> "/" + name + "/" + version;
            case EMPTY_ID -> ns + "//" + version;
            case EMPTY_VERSION -> ns + "/" + name + "/";
            case NEGATIVE_VERSION -> ns + "/" + name + "/-" + (version == 0 ? 1 : version);
            case SIGNED_VERSION -> ns + "/" + name + "/+" + version;
            case VERSION_WITH_LEADING_ZERO -> ns + "/" + name + "/0" + version;
            // U+0661..U+0669 are Arabic-Indic digits, which Integer.parseInt accepts.
            case NON_ASCII_DIGIT_VERSION -> ns + "/" + name + "/" + (char) ('\u0661' + seed % 9);
            case VERSION_OVERFLOW -> ns + "/" + name + "/" + (Integer.MAX_VALUE + 1L + seed);
            case NON_NUMERIC_VERSION -> ns + "/" + name + "/" + version + "x";
            case EXTRA_SEGMENT -> ns + "/" + name + "/" + version + "/" + version;
            case NO_SEPARATOR -> ns + name;
            case SURROUNDING_SPACE -> " " + ns + "/" + name + "/" + version;
        };
    }

    @Test
    void parse_toStringOfAnyKeyId_givesTheSameKeyId() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES)).forAll(keyIds()).checkAssert(id -> {
            examples.ran();
            assertThat(KeyId.parse(id.toString())).isEqualTo(id);
            assertThat(KeyId.parse(id.ringName())).isEqualTo(id.unversioned());
        });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void equalsAndHashCode_ofAnyTwoKeyIds_followTheirParts() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES)).forAll(keyIds(), keyIds()).checkAssert((a, b) -> {
            examples.ran();
            boolean sameParts = a.namespace().equals(b.namespace()) && a.id().equals(b.id()) && a.version() == b.version();
            assertThat(a.equals(b)).isEqualTo(sameParts);
            KeyId copy = KeyId.of(new String(a.namespace()), new String(a.id()), a.version());
            assertThat(copy).isEqualTo(a).hasSameHashCodeAs(a);
            assertThat(a.withVersion(a.version() == 0 ? 1 : a.version() - 1)).isNotEqualTo(a);
            assertThat(a).isNotEqualTo(a.toString());
        });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void toString_ofAnyParsedText_isThatText() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES)).forAll(keyIds()).checkAssert(id -> {
            examples.ran();
            String text = id.namespace() + "/" + id.id() + "/" + id.version();
            assertThat(KeyId.parse(text).toString()).isEqualTo(text);
        });
        examples.assertAtLeast(EXAMPLES);
    }

    @Test
    void parse_anyCorruptedText_failsWithInvalidArgument() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(EXAMPLES))
                .forAll(keyIds(), Generate.enumValues(Corruption.class), Generate.range(0, Integer.MAX_VALUE))
                .checkAssert((id, how, seed) -> {
                    examples.ran();
                    String text = corrupt(id, how, seed);
                    assertThatThrownBy(() -> KeyId.parse(text)).as("%s: %s", how, text)
                            .isInstanceOfSatisfying(CryptoException.class,
                                    e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
                });
        examples.assertAtLeast(EXAMPLES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "//", "a", "a/", "/b", "a/b/c/d", "a/b/-1", "a/b/+1", "a/b/01", "a/b/1.0",
        "a/b/2147483648", "A/b/1", "a/B", "a b/c", "-a/b", "a/.b", "a/b/\u0663", "a/b/ 1"})
    void parse_invalidText_failsWithInvalidArgument(String text) {
        assertThatThrownBy(() -> KeyId.parse(text)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
    }

    @Test
    void parse_nullText_failsWithInvalidArgument() {
        assertThatThrownBy(() -> KeyId.parse(null)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
    }

    @Test
    void parse_withoutVersion_meansThePrimaryVersion() {
        KeyId id = KeyId.parse("payments/card-token.v2");

        assertThat(id).isEqualTo(KeyId.of("payments", "card-token.v2", 0));
        assertThat(id.isPrimaryReference()).isTrue();
        assertThat(id.toString()).isEqualTo("payments/card-token.v2/0");
    }

    @Test
    void parse_longestValidNames_areAccepted() {
        String max = "a".repeat(64);

        assertThat(KeyId.parse(max + "/" + max + "/2147483647"))
                .isEqualTo(KeyId.of(max, max, Integer.MAX_VALUE));
    }

    @Test
    void of_negativeVersion_failsWithInvalidArgument() {
        assertThatThrownBy(() -> KeyId.of("ns", "id", -1)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT));
    }

    @Test
    void withVersionOrUnversioned_anyKeyId_keepsTheRing() {
        KeyId id = KeyId.of("ns", "id", 4);

        assertThat(id.withVersion(7)).isEqualTo(KeyId.of("ns", "id", 7));
        assertThat(id.unversioned()).isEqualTo(KeyId.of("ns", "id"));
        assertThat(id.unversioned().isPrimaryReference()).isTrue();
        assertThat(id.ringName()).isEqualTo("ns/id");
    }

    private static char pickChar(String from, int seed) {
        return from.charAt(seed % from.length());
    }

    private static String insert(String s, char c, int seed) {
        int at = seed % (s.length() + 1);
        return s.substring(0, at) + c + s.substring(at);
    }

    private static List<Character> chars(String s) {
        return s.chars().mapToObj(c -> (char) c).toList();
    }
}
