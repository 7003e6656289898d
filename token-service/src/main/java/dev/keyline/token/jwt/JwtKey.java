package dev.keyline.token.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import java.util.Objects;

/**
 * A key that signs JWTs, as a JWS header names it: its {@code kid} (for crypto-service keys the
 * concrete key id {@code namespace/id/version}) and its algorithm.
 */
public record JwtKey(String kid, KeyAlgorithm algorithm) {
    public JwtKey {
        Objects.requireNonNull(kid, "kid");
        Objects.requireNonNull(algorithm, "algorithm");
        if (kid.isBlank()) {
            throw new IllegalArgumentException("kid must not be blank");
        }
        if (!algorithm.canSign()) {
            throw new IllegalArgumentException(algorithm + " does not sign");
        }
    }

    /** The JWS {@code alg} header value. */
    public JWSAlgorithm jwsAlgorithm() {
        return JWSAlgorithm.parse(algorithm.jwsAlgorithm().orElseThrow());
    }
}
