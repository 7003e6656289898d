package dev.keyline.token.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Mints access tokens (RFC 9068 JWTs, {@code typ: at+jwt}) with Nimbus, signed by the configured
 * {@link KmsSigner}. When that signer is the crypto service and the service is unavailable
 * ({@code CRYPTO_SERVICE_UNAVAILABLE}: circuit open or retries exhausted), the token is signed with
 * the fallback key instead — a decision counted in {@code keyline_client_fallback_total} and
 * logged by {@link FallbackHandler}. Since the fallback key is in the JWKS, every verifier accepts
 * those tokens. Any other failure (a disabled key, a refused signature) is not hidden.
 */
public final class JwtIssuer {
    private static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");

    private final Supplier<KmsSigner> signer;
    private final Optional<LocalSigner> fallback;
    private final FallbackHandler fallbackHandler;
    private final String issuer;
    private final InstantSource clock;
    private final SecureRandom random;
    private final MeterRegistry meters;
    private final Map<String, Counter> issued = new ConcurrentHashMap<>();

    /**
     * @param signer the signer to use for each token; a supplier so that the feature flag that
     *     picks the crypto service or the local key can change without a restart
     */
    public JwtIssuer(Supplier<KmsSigner> signer, Optional<LocalSigner> fallback, FallbackHandler fallbackHandler, String issuer,
            InstantSource clock, SecureRandom random, MeterRegistry meters) {
        this.signer = Objects.requireNonNull(signer, "signer");
        this.fallback = Objects.requireNonNull(fallback, "fallback");
        this.fallbackHandler = Objects.requireNonNull(fallbackHandler, "fallbackHandler");
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.meters = Objects.requireNonNull(meters, "meters");
    }

    /** Signs an access token with {@code claims}; throws {@link CryptoException} when no key can sign. */
    public IssuedJwt issue(AccessTokenClaims claims) {
        Instant now = clock.instant();
        Instant exp = now.plus(claims.lifetime());
        byte[] id = new byte[16];
        random.nextBytes(id);
        String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(claims.subject())
                .audience(claims.audience())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(exp))
                .jwtID(jti)
                .claim("client_id", claims.clientId());
        if (!claims.scope().isEmpty()) {
            b.claim("scope", claims.scope());
        }
        claims.extra().forEach(b::claim);
        JWTClaimsSet set = b.build();
        KmsSigner primary = signer.get();
        IssuedJwt token = fallback.isPresent() && primary instanceof CryptoSigner
                ? fallbackHandler.withFallback("sign_jwt", () -> signWithRetry(primary, set, jti, now, exp),
                        () -> sign(fallback.get(), fallback.get().currentKey(), set, jti, now, exp, "fallback"))
                : signWithRetry(primary, set, jti, now, exp);
        issued.computeIfAbsent(token.signer(), s -> Counter.builder("keyline_token_access_tokens_total")
                .description("access tokens issued, by signing path").tag("signer", s).register(meters)).increment();
        return token;
    }

    private IssuedJwt signWithRetry(KmsSigner s, JWTClaimsSet set, String jti, Instant now, Instant exp) {
        JwtKey key = s.currentKey();
        try {
            return sign(s, key, set, jti, now, exp, label(s, key));
        } catch (CryptoException e) {
            if (!(s instanceof CryptoSigner cs) || (e.reason() != Reason.KEY_STATE_INVALID && e.reason() != Reason.KEY_NOT_FOUND)) {
                throw e;
            }
            // The service no longer signs with the version we named (rotated a moment ago): re-read and try once more.
            cs.reload();
            JwtKey again = cs.currentKey();
            return sign(cs, again, set, jti, now, exp, label(cs, again));
        }
    }

    private static String label(KmsSigner s, JwtKey key) {
        return s instanceof CryptoSigner cs && cs.isBridge(key.kid()) ? "bridge" : s.kind();
    }

    private static IssuedJwt sign(KmsSigner s, JwtKey key, JWTClaimsSet set, String jti, Instant now, Instant exp, String label) {
        JWSHeader header = new JWSHeader.Builder(key.jwsAlgorithm()).keyID(key.kid()).type(AT_JWT).build();
        SignedJWT jwt = new SignedJWT(header, set);
        try {
            jwt.sign(new KmsJwsSigner(s, key));
        } catch (JOSEException e) {
            Throwable cause = e.getCause();
            if (cause instanceof CryptoException ce) {
                throw ce;
            }
            throw new CryptoException(Reason.SIGNATURE_FAILED, "JWT signing failed: " + e.getMessage(), e);
        }
        return new IssuedJwt(jwt.serialize(), jti, now, exp, key.kid(), label);
    }

    public String issuer() {
        return issuer;
    }
}
