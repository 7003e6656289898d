package dev.keyline.token.oauth;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** A successful token response (RFC 6749 §5.1). Never printed with its tokens. */
public record TokenResponse(String accessToken, long expiresIn, String scope, Optional<String> refreshToken) {
    public TokenResponse {
        Objects.requireNonNull(accessToken, "accessToken");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(refreshToken, "refreshToken");
    }

    /** The JSON members. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("access_token", accessToken);
        m.put("token_type", "Bearer");
        m.put("expires_in", expiresIn);
        if (!scope.isEmpty()) {
            m.put("scope", scope);
        }
        refreshToken.ifPresent(r -> m.put("refresh_token", r));
        return m;
    }

    @Override
    public String toString() {
        return "TokenResponse[expiresIn=" + expiresIn + ", scope=" + scope + ", tokens redacted]";
    }
}
