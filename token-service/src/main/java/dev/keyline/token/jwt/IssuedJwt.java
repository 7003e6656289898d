package dev.keyline.token.jwt;

import java.time.Instant;
import java.util.Objects;

/**
 * A signed access token.
 *
 * @param signer which path signed it: {@code crypto}, {@code local}, {@code bridge} or {@code fallback}
 */
public record IssuedJwt(String token, String jti, Instant issuedAt, Instant expiresAt, String kid, String signer) {
    public IssuedJwt {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(signer, "signer");
    }

    @Override
    public String toString() {
        return "IssuedJwt[jti=" + jti + ", kid=" + kid + ", signer=" + signer + ", token redacted]";
    }
}
