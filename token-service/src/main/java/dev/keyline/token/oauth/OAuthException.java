package dev.keyline.token.oauth;

import java.util.Objects;

/**
 * A request the token service refuses, with its RFC 6749 error and a description for the client
 * (never a secret, a token or a stack trace).
 */
public final class OAuthException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final OAuthError error;

    public OAuthException(OAuthError error, String description) {
        super(description);
        this.error = Objects.requireNonNull(error, "error");
    }

    public OAuthException(OAuthError error, String description, Throwable cause) {
        super(description, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    public OAuthError error() {
        return error;
    }

    public String description() {
        return getMessage();
    }
}
