package dev.keyline.token.jwt;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Instant;
import java.util.Map;

/**
 * An access token whose signature, issuer and lifetime {@link AccessTokenVerifier} checked. Only
 * the verifier builds one.
 */
public final class VerifiedToken {
    private final JWTClaimsSet claims;
    private final String kid;

    VerifiedToken(JWTClaimsSet claims, String kid) {
        this.claims = claims;
        this.kid = kid;
    }

    public String jti() {
        return claims.getJWTID();
    }

    public String subject() {
        return claims.getSubject();
    }

    public String clientId() {
        Object c = claims.getClaim("client_id");
        return c == null ? "" : c.toString();
    }

    /** The {@code aud} values; empty when the token has none. */
    public java.util.List<String> audience() {
        java.util.List<String> aud = claims.getAudience();
        return aud == null ? java.util.List.of() : java.util.List.copyOf(aud);
    }

    public Instant expiresAt() {
        return claims.getExpirationTime().toInstant();
    }

    public String kid() {
        return kid;
    }

    /** All claims, as JSON values. */
    public Map<String, Object> claims() {
        return claims.toJSONObject();
    }

    @Override
    public String toString() {
        return "VerifiedToken[jti=" + jti() + ", kid=" + kid + "]";
    }
}
