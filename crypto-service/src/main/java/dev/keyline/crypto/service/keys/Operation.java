package dev.keyline.crypto.service.keys;

/** What a caller does with a key. Grants name these; the audit log records them. */
public enum Operation {
    ENCRYPT,
    DECRYPT,
    SIGN,
    VERIFY,
    DATA_KEY,
    /** Create, rotate, change state, read metadata and public keys. */
    MANAGE,
    /** Read metadata and public keys only. */
    READ;

    private final String grantName = name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');

    public String grantName() {
        return grantName;
    }

    public static Operation fromGrantName(String s) {
        return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
}
