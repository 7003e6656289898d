package dev.keyline.token.oauth;

/**
 * The error codes of RFC 6749 §5.2 (plus RFC 7009's {@code unsupported_token_type} and the
 * server-side codes of §4.1.2.1), each with its HTTP status — the one place that mapping lives.
 * Caller mistakes are 4xx; only {@link #SERVER_ERROR} (a bug) is 500, and
 * {@link #TEMPORARILY_UNAVAILABLE} (a dependency is down) is 503.
 */
public enum OAuthError {
    INVALID_REQUEST(400),
    INVALID_CLIENT(401),
    INVALID_GRANT(400),
    UNAUTHORIZED_CLIENT(400),
    UNSUPPORTED_GRANT_TYPE(400),
    INVALID_SCOPE(400),
    UNSUPPORTED_TOKEN_TYPE(400),
    /** The request body is larger than the configured limit. */
    REQUEST_TOO_LARGE(413),
    NOT_FOUND(404),
    METHOD_NOT_ALLOWED(405),
    TEMPORARILY_UNAVAILABLE(503),
    SERVER_ERROR(500);

    private final int httpStatus;

    OAuthError(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The {@code error} value on the wire. */
    public String code() {
        return switch (this) {
            // Not RFC 6749 codes: reported as invalid_request with their own HTTP status.
            case REQUEST_TOO_LARGE, NOT_FOUND, METHOD_NOT_ALLOWED -> "invalid_request";
            default -> name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
