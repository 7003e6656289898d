package dev.keyline.crypto.core.keys;

import dev.keyline.crypto.core.CharClass;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;

/**
 * A key, or one version of it. Text form {@code namespace/id/version}; version 0 (or an absent
 * version in text) means "the primary version" on input. Outputs always name a concrete version.
 */
public record KeyId(String namespace, String id, int version) {
    /** Names are {@code [a-z0-9][a-z0-9._-]{0,63}}: a first character, then the rest. */
    private static final CharClass NAME_FIRST = CharClass.of("a-z0-9");
    private static final CharClass NAME_REST = CharClass.of("a-z0-9._-");
    private static final CharClass DIGITS = CharClass.of("0-9");

    public KeyId {
        if (!validName(namespace)) {
            throw invalid("namespace must match [a-z0-9][a-z0-9._-]{0,63}");
        }
        if (!validName(id)) {
            throw invalid("id must match [a-z0-9][a-z0-9._-]{0,63}");
        }
        if (version < 0) {
            throw invalid("version must be >= 0");
        }
    }

    public static KeyId of(String namespace, String id) {
        return new KeyId(namespace, id, 0);
    }

    public static KeyId of(String namespace, String id, int version) {
        return new KeyId(namespace, id, version);
    }

    /**
     * Parses {@code namespace/id} or {@code namespace/id/version}, the version in plain decimal
     * ({@code 0}, {@code 7}, never {@code 07} or {@code +7}), so each key version has one spelling.
     */
    public static KeyId parse(String text) {
        if (text == null || text.isEmpty()) {
            throw invalid("key id is empty; expected namespace/id/version");
        }
        String[] parts = text.split("/", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw invalid("key id must be namespace/id or namespace/id/version");
        }
        int version = 0;
        if (parts.length == 3) {
            if (!canonicalDecimal(parts[2])) {
                throw invalid("key id version must be a non-negative integer without sign or leading zeros");
            }
            try {
                version = Integer.parseInt(parts[2]);
            } catch (NumberFormatException e) {
                throw invalid("key id version must be a non-negative integer");
            }
        }
        return new KeyId(parts[0], parts[1], version);
    }

    public boolean isPrimaryReference() {
        return version == 0;
    }

    /** The same key without a version: "the primary". */
    public KeyId unversioned() {
        return version == 0 ? this : new KeyId(namespace, id, 0);
    }

    public KeyId withVersion(int v) {
        return v == version ? this : new KeyId(namespace, id, v);
    }

    /** Whether {@code other} names the same key ring (namespace and id), whatever the versions. */
    public boolean sameRing(KeyId other) {
        return namespace.equals(other.namespace) && id.equals(other.id);
    }

    /** {@code namespace/id}, the name of the key ring regardless of version. */
    public String ringName() {
        return namespace + "/" + id;
    }

    // Written out: the generated record methods go through method-handle guards that showed up
    // at 5 % of a batch's CPU profile (every cache lookup by key id calls them).
    @Override
    public boolean equals(Object o) {
        return o instanceof KeyId k && version == k.version && namespace.equals(k.namespace) && id.equals(k.id);
    }

    @Override
    public int hashCode() {
        return (namespace.hashCode() * 31 + id.hashCode()) * 31 + version;
    }

    @Override
    public String toString() {
        return namespace + "/" + id + "/" + version;
    }

    /** Whether {@code s} is a valid namespace or id: {@code [a-z0-9][a-z0-9._-]{0,63}}. */
    public static boolean validName(String s) {
        return s != null && !s.isEmpty() && NAME_FIRST.contains(s.charAt(0)) && NAME_REST.matches(s, 1, 64);
    }

    /**
     * Canonical decimal {@code 0|[1-9][0-9]{0,9}}: ASCII digits, no sign, no leading zero.
     * Integer.parseInt alone would also take "+1", "01" and non-ASCII digits, giving one key
     * several spellings.
     */
    private static boolean canonicalDecimal(String s) {
        return DIGITS.matches(s, 1, 10) && (s.length() == 1 || s.charAt(0) != '0');
    }

    private static CryptoException invalid(String message) {
        return new CryptoException(Reason.INVALID_ARGUMENT, message);
    }
}
