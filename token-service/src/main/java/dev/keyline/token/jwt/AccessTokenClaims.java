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
    /**
     * Claims this service sets itself, or that mean something to a verifier or to introspection
     * (RFC 7519 registered claims, RFC 7662 response members such as {@code active} and
     * {@code token_type}, RFC 8693 {@code act}/{@code may_act}, RFC 9068 authentication claims);
     * {@link #extra} may not contain them, so a custom claim can never pose as one.
     */
    public static final Set<String> RESERVED = Set.of("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "typ",
            "cnf", "azp", "auth_time", "active", "token_type", "username", "act", "may_act", "acr", "amr", "sid", "kid", "alg");

    /**
     * Subjects of {@code client_credentials} tokens start with this; session subjects may not, so
     * the two kinds of {@code sub} never collide.
     */
    public static final String CLIENT_SUBJECT_PREFIX = "client:";

    /**
     * {@code claims} without the reserved names: for families stored before a name was reserved,
     * whose claims must neither fail a refresh nor pose as a reserved claim.
     */
    public static Map<String, Object> withoutReserved(Map<String, Object> claims) {
        Map<String, Object> out = new java.util.LinkedHashMap<>(claims);
        out.keySet().removeAll(RESERVED);
        return out;
    }

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
