package dev.keyline.iam;

import java.util.List;
import java.util.Objects;

/**
 * The one exception of the IAM policy service's own code, with a closed reason. The HTTP layer maps
 * each reason to a status in exactly one place ({@code http.IamHttpApi}); everything else throws
 * and never formats responses. Messages never contain secrets. Configuration problems are not
 * among its reasons: they are the kit's {@link dev.keyline.kit.config.ConfigException}, the one
 * configuration error of all services.
 */
public final class IamException extends RuntimeException {
    private final Reason reason;
    private final List<String> problems;

    /** Why an operation failed. */
    public enum Reason {
        /** The caller sent something malformed or out of bounds (HTTP 400). */
        INVALID_ARGUMENT,
        /** The request body is over the configured limit (HTTP 413). */
        PAYLOAD_TOO_LARGE,
        /** No bearer token, or one that is not valid (HTTP 401). */
        UNAUTHENTICATED,
        /** The caller's token lacks the scope, or the operation is switched off by configuration (HTTP 403). */
        PERMISSION_DENIED,
        /** A policy directory that cannot be loaded; {@link #problems()} lists why (HTTP 422 on reload). */
        POLICY_INVALID,
        /** A dependency (crypto service, Redis) is unavailable and nothing can stand in (HTTP 503). */
        UNAVAILABLE,
        /** A bug or an environment failure (HTTP 500). */
        INTERNAL
    }

    public IamException(Reason reason, String message) {
        this(reason, message, List.of(), null);
    }

    public IamException(Reason reason, String message, Throwable cause) {
        this(reason, message, List.of(), cause);
    }

    public IamException(Reason reason, String message, List<String> problems, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.problems = List.copyOf(problems);
    }

    public Reason reason() {
        return reason;
    }

    /** The individual problems behind {@link Reason#POLICY_INVALID}; else empty. */
    public List<String> problems() {
        return problems;
    }

    /** A caller error at {@code field}: {@code "field: message"}. */
    public static IamException invalid(String field, String message) {
        return new IamException(Reason.INVALID_ARGUMENT, field + ": " + message);
    }
}
