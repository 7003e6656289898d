package dev.keyline.token.clients;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The stored form of a client secret: {@code sha256:<base64url of SHA-256(secret)>}. Secrets made
 * by {@link #newSecret} carry 256 random bits, so a fast hash is enough (nobody can enumerate
 * them); {@link #matches} compares in constant time.
 */
public record SecretHash(String text) {
    private static final Pattern FORMAT = Pattern.compile("sha256:[A-Za-z0-9_-]{43}");
    private static final String PREFIX = "kls_";

    public SecretHash {
        Objects.requireNonNull(text, "text");
        if (!FORMAT.matcher(text).matches()) {
            throw new IllegalArgumentException("a client secret hash must be sha256:<43 base64url characters>");
        }
    }

    /** The hash of {@code secret}. */
    public static SecretHash of(String secret) {
        return new SecretHash("sha256:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest(secret)));
    }

    /** A new random secret: {@code kls_} and 256 random bits in base64url. Show it once; store only its hash. */
    public static String newSecret(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Whether {@code secret} hashes to this, in time independent of where they differ. */
    public boolean matches(String secret) {
        byte[] expected = Base64.getUrlDecoder().decode(text.substring("sha256:".length()));
        return MessageDigest.isEqual(expected, digest(secret));
    }

    private static byte[] digest(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    @Override
    public String toString() {
        return "SecretHash[redacted]";
    }
}
