package dev.keyline.iam.auth;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling the decision API, as authenticated: the {@code client_id} of a verified access
 * token (else its {@code sub}), or {@code admin-token} for the static admin token, with the
 * scopes it was granted. Not the crypto service's {@code Caller} (a caller of that service and its grants).
 */
public record AuthenticatedCaller(String id, Set<String> scopes) {
    public AuthenticatedCaller {
        Objects.requireNonNull(id, "id");
        scopes = Set.copyOf(scopes);
    }

    public boolean has(String scope) {
        return scopes.contains(scope);
    }
}
