package dev.keyline.kit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A static bearer token that guards a service's admin endpoints. Only its SHA-256 digest is kept,
 * and a presented token is compared by digest with {@link MessageDigest#isEqual} (constant time in
 * the digest, so neither the token's bytes nor its length leak through timing). {@link #off()}
 * matches nothing. Prints as {@code AdminToken[redacted]}.
 */
public final class AdminToken {
    /** Shortest token accepted: 16 characters, as a floor against guessing over the network. */
    public static final int MIN_LENGTH = 16;
    private static final String BEARER = "Bearer ";

    private final byte[] digest;

    private AdminToken(byte[] digest) {
        this.digest = digest;
    }

    /** No token: every check fails, and the endpoint it guards is off. */
    public static AdminToken off() {
        return new AdminToken(null);
    }

    /** The token {@code bytes} (UTF-8); empty means {@link #off()}. The caller may wipe {@code bytes} afterwards. */
    public static AdminToken of(byte[] bytes) {
        return bytes.length == 0 ? off() : new AdminToken(sha256(bytes));
    }

    /** Whether a token is set. */
    public boolean enabled() {
        return digest != null;
    }

    /** Whether {@code authorization} (an HTTP {@code Authorization} header, may be null) is {@code Bearer <this token>}. */
    public boolean matches(String authorization) {
        if (digest == null || authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] given = authorization.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        byte[] d = sha256(given);
        Arrays.fill(given, (byte) 0);
        return MessageDigest.isEqual(d, digest);
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "AdminToken[redacted]";
    }
}
