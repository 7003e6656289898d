package dev.keyline.token.jwt;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What an access token says, before {@link JwtIssuer} adds {@code iss}, {@code iat}, {@code exp}
 * and {@code jti}.
 *
 * @param extra further claims (from {@code /v1/sessions}); may not redefine a registered claim
 */
public record AccessTokenClaims(String subject, String clientId, List<String> audience, String scope, Duration lifetime,
        Map<String, Object> extra) {
    /** Claims this service sets itself; {@link #extra} may not contain them. */
    public static final Set<String> RESERVED = Set.of("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "typ",
            "cnf", "azp", "auth_time");

    public AccessTokenClaims {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(clientId, "clientId");
        audience = List.copyOf(audience);
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(lifetime, "lifetime");
        extra = Map.copyOf(extra);
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        for (String k : extra.keySet()) {
            if (RESERVED.contains(k)) {
                throw new IllegalArgumentException("claim " + k + " is set by the token service");
            }
        }
    }
}
