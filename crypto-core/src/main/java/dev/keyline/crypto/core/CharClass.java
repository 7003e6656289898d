package dev.keyline.crypto.core;

/**
 * A set of ASCII characters, for validating identifiers on hot paths without a regular
 * expression: {@code CharClass.of("a-z0-9._-").matches(s, 1, 64)} is {@code [a-z0-9._-]{1,64}}.
 * Immutable and thread-safe.
 */
public final class CharClass {
    private final boolean[] members = new boolean[128];

    private CharClass() {
    }

    /**
     * The class spelled like a regex bracket expression without the brackets: single characters
     * and ranges {@code a-z}; a {@code -} first or last stands for itself.
     */
    public static CharClass of(String spec) {
        CharClass c = new CharClass();
        for (int i = 0; i < spec.length(); i++) {
            char from = spec.charAt(i);
            if (i + 2 < spec.length() && spec.charAt(i + 1) == '-') {
                char to = spec.charAt(i + 2);
                c.add(from, to);
                i += 2;
            } else {
                c.add(from, from);
            }
        }
        return c;
    }

    /** Every printable ASCII character, space included ({@code \x20-\x7e}). */
    public static CharClass printableAscii() {
        CharClass c = new CharClass();
        c.add(' ', '~');
        return c;
    }

    private void add(char from, char to) {
        if (from > to || to > 127) {
            throw new IllegalArgumentException("not an ASCII range: " + from + "-" + to);
        }
        for (char ch = from; ch <= to; ch++) {
            members[ch] = true;
        }
    }

    public boolean contains(char ch) {
        return ch < 128 && members[ch];
    }

    /** Whether {@code s} has {@code min} to {@code max} characters, all in this class. */
    public boolean matches(String s, int min, int max) {
        int n = s.length();
        if (n < min || n > max) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!contains(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
