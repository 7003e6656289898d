package dev.keyline.iam.auth;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling the decision API, as authenticated: the {@code client_id} of a verified access
 * token (else its {@code sub}), or {@code admin-token} for the static admin token.
 */
public record Caller(String id, Set<String> scopes) {
    public Caller {
        Objects.requireNonNull(id, "id");
        scopes = Set.copyOf(scopes);
    }

    public boolean has(String scope) {
        return scopes.contains(scope);
    }
}
