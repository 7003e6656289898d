package dev.keyline.iam.decision;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An unambiguous byte encoding of a sequence of typed fields: each field is a one-byte tag, and
 * texts and byte strings carry a 4-byte big-endian length, so no two different sequences encode
 * to the same bytes. Used for cache keys and AAD, never for anything a person reads.
 */
public final class CanonicalBytes {
    private static final byte TEXT = 1;
    private static final byte BOOL = 2;
    private static final byte INT = 3;
    private static final byte BYTES = 4;
    private static final byte OPEN = 5;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

    public static CanonicalBytes builder() {
        return new CanonicalBytes();
    }

    /**
     * Appends a text. Fails with {@code IllegalArgumentException} on a lone surrogate: the JDK's
     * UTF-8 encoder would turn it into {@code ?}, and two different texts would encode alike.
     */
    public CanonicalBytes text(String s) {
        if (!wellFormed(s)) {
            throw new IllegalArgumentException("text is not well-formed Unicode (lone surrogate)");
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(TEXT);
        length(b.length);
        out.writeBytes(b);
        return this;
    }

    public CanonicalBytes bool(boolean v) {
        out.write(BOOL);
        out.write(v ? 1 : 0);
        return this;
    }

    public CanonicalBytes int64(long v) {
        out.write(INT);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (v >>> shift));
        }
        return this;
    }

    public CanonicalBytes bytes(byte[] b) {
        out.write(BYTES);
        length(b.length);
        out.writeBytes(b);
        return this;
    }

    /** Starts a nested group of {@code count} items (a list, a record, an entity) tagged {@code kind}. */
    public CanonicalBytes open(char kind, int count) {
        out.write(OPEN);
        out.write(kind);
        length(count);
        return this;
    }

    /** Whether {@code s} has no unpaired UTF-16 surrogate. */
    public static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    public byte[] build() {
        return out.toByteArray();
    }

    private void length(int n) {
        out.write(n >>> 24);
        out.write(n >>> 16);
        out.write(n >>> 8);
        out.write(n);
    }
}
