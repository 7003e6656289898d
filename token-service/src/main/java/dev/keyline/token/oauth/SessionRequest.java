package dev.keyline.token.oauth;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A request to {@code POST /v1/sessions}: start a token family for {@code subject}.
 *
 * @param clientId the client the refresh token will belong to (the one that refreshes); empty
 *     means the caller itself
 * @param scope space-separated; empty means every scope of that client
 * @param audience empty means that client's audience
 * @param claims extra access-token claims (not the registered ones)
 */
public record SessionRequest(String subject, Optional<String> clientId, String scope, List<String> audience, Map<String, Object> claims) {
    public SessionRequest {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(scope, "scope");
        audience = List.copyOf(audience);
        claims = Map.copyOf(claims);
    }
}
