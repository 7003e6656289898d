package dev.keyline.iam.cache;

/** What the encrypted L2 does with a new entry when the crypto service is unavailable. */
public enum CryptoFallback {
    /**
     * Store the entry as authenticated plaintext JSON (HMAC-SHA256 under a key derived from the
     * service's cache secret, over the entry and its AAD; see {@code PlaintextTier}), count
     * {@code keyline_iam_crypto_fallback_total} and log a warning with the correlation id. Plaintext entries
     * are accepted on read only while the crypto service is unavailable and only with a valid MAC.
     * The entry carries no subject or resource id (its key is an HMAC), but its content is not
     * secret while it lives.
     */
    PLAINTEXT,
    /**
     * The default. Store nothing in L2 (L1 still caches), count {@code keyline_iam_crypto_fallback_total} and log. Plaintext
     * entries are never accepted on read, so nothing unauthenticated is ever used.
     */
    SKIP;

    public static CryptoFallback parse(String text) {
        return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "plaintext" -> PLAINTEXT;
            case "skip" -> SKIP;
            default -> throw new IllegalArgumentException("must be plaintext or skip, not '" + text + "'");
        };
    }
}
