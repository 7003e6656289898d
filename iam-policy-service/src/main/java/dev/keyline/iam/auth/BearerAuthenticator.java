package dev.keyline.iam.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.iam.IamException;
import dev.keyline.kit.config.ConfigException;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Authenticates callers of the decision API by their {@code Authorization: Bearer} header.
 *
 * <p><b>Access tokens</b> are JWTs issued by the Keyline token service ({@code typ: at+jwt}, RFC
 * 9068), verified against its JWKS: the signature with the key whose {@code kid} the header names
 * (asymmetric algorithms only — {@code ES256/384/512}, {@code RS256/384/512}, {@code PS256/384/512};
 * never {@code none} or an HMAC, so a public key cannot be used as an HMAC secret), {@code iss}
 * equal to the configured issuer, {@code aud} containing the configured audience, {@code exp} in
 * the future (60 s leeway, as {@code nbf}). The JWK set is cached (TTL), refreshed ahead of expiry
 * and at once (at most every 10 s) when a token names an unknown {@code kid}, so the token service's key
 * rotations work without a restart; while the token service is unreachable the cached set stays in
 * use. The token's {@code scope} (space-separated) must contain the scope the endpoint needs.
 *
 * <p><b>The static admin token</b> (optional) stands in for a token with {@code iam:admin} only;
 * it is compared in constant time.
 *
 * <p>Failures are {@link IamException}s: no or an invalid token {@code UNAUTHENTICATED} (401), a
 * valid token without the scope {@code PERMISSION_DENIED} (403), the JWKS unreachable with nothing
 * cached {@code UNAVAILABLE} (503). Messages never contain the token.
 */
public final class BearerAuthenticator {
    public static final String SCOPE_AUTHORIZE = "iam:authorize";
    public static final String SCOPE_ADMIN = "iam:admin";
    public static final String ADMIN_TOKEN_CALLER = "admin-token";
    /** The token service's subject of client_credentials tokens: {@code client:<client_id>}. */
    static final String CLIENT_SUBJECT_PREFIX = "client:";
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);
    private static final int MAX_TOKEN_CHARS = 16 * 1024;
    /** The subject of the configuration errors of caller authentication (the JWKS URL). */
    private static final String CONFIG_SUBJECT = "IAM caller authentication";

    private final DefaultJWTProcessor<SecurityContext> processor;
    private final Optional<SecretBytes> adminToken;
    private final InstantSource clock;
    /**
     * Tokens already verified, by SHA-256 of the token, until their {@code exp}: a service reuses
     * its access token for minutes, and an ECDSA verification per request would cost more than
     * the decision. Only successful verifications are kept; expiry is checked on every use.
     */
    private final com.github.benmanes.caffeine.cache.Cache<java.nio.ByteBuffer, Verified> verified =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(5)).build();

    private record Verified(AuthenticatedCaller caller, java.time.Instant expires) { }

    public BearerAuthenticator(JWKSource<SecurityContext> keys, String issuer, String audience, InstantSource clock,
            Optional<SecretBytes> adminToken) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(audience, "audience");
        Objects.requireNonNull(clock, "clock");
        this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
        this.clock = clock;
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("at+jwt")));
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        p.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(Set.of(audience), new JWTClaimsSet.Builder().issuer(issuer).build(),
                Set.of("iss", "aud", "exp"), null) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        });
        this.processor = p;
    }

    /**
     * Keys from the JWK set at {@code jwksUrl} (http or https), cached for {@code cacheTtl},
     * refreshed ahead of expiry, on an unknown {@code kid} (at most every 10 s) and kept while the
     * URL is unreachable.
     *
     * @throws ConfigException naming {@code authJwksUrl} when it is not a URL
     */
    public static BearerAuthenticator fromJwksUrl(URI jwksUrl, String issuer, String audience, Duration cacheTtl, InstantSource clock,
            Optional<SecretBytes> adminToken) {
        try {
            JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUrl.toURL(), new DefaultResourceRetriever(2000, 2000,
                    512 * 1024)).cache(cacheTtl.toMillis(), 5_000).refreshAheadCache(true).rateLimited(10_000).outageTolerantForever()
                    .retrying(true).build();
            return new BearerAuthenticator(keys, issuer, audience, clock, adminToken);
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw ConfigException.of(CONFIG_SUBJECT, "authJwksUrl: '" + jwksUrl + "' is not a URL", e);
        }
    }

    /** The caller behind {@code authorizationHeader}, which must carry {@code scope}. */
    public AuthenticatedCaller authenticate(String authorizationHeader, String scope) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new IamException(IamException.Reason.UNAUTHENTICATED, "a bearer token is required (Authorization: Bearer <access token>)");
        }
        String token = authorizationHeader.substring(7).trim();
        if (token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
            throw new IamException(IamException.Reason.UNAUTHENTICATED, "the bearer token is not valid");
        }
        AuthenticatedCaller caller = isAdminToken(token) ? new AuthenticatedCaller(ADMIN_TOKEN_CALLER, Set.of(SCOPE_ADMIN)) : verifyOrCached(token);
        if (!caller.has(scope)) {
            throw new IamException(IamException.Reason.PERMISSION_DENIED, "the token does not grant the scope " + scope);
        }
        return caller;
    }

    private boolean isAdminToken(String token) {
        if (adminToken.isEmpty()) {
            return false;
        }
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        byte[] want = adminToken.get().toByteArray();
        try {
            return MessageDigest.isEqual(given, want);
        } finally {
            Arrays.fill(want, (byte) 0);
        }
    }

    private AuthenticatedCaller verifyOrCached(String token) {
        java.nio.ByteBuffer key;
        try {
            key = java.nio.ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Verified v = verified.getIfPresent(key);
        if (v != null && clock.instant().isBefore(v.expires())) {
            return v.caller();
        }
        if (v != null) {
            verified.invalidate(key);
        }
        Verified fresh = verify(token);
        verified.put(key, fresh);
        return fresh.caller();
    }

    private Verified verify(String token) {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw new IamException(IamException.Reason.UNAUTHENTICATED, "the bearer token is not a JWT");
        } catch (RateLimitReachedException e) {
            // A kid not in the cached set, and the set was fetched moments ago: not a key of the issuer (yet).
            throw new IamException(IamException.Reason.UNAUTHENTICATED, "the bearer token is not valid (signed by a key the token service does not publish)");
        } catch (KeySourceException e) {
            throw new IamException(IamException.Reason.UNAVAILABLE, "cannot fetch the token service's JWKS to check the bearer token", e);
        } catch (BadJWTException e) {
            throw new IamException(IamException.Reason.UNAUTHENTICATED, "the bearer token is not valid (" + claimProblem(e) + ")");
        } catch (BadJOSEException | com.nimbusds.jose.JOSEException e) {
            throw new IamException(IamException.Reason.UNAUTHENTICATED, "the bearer token is not valid (signature, key or type)");
        }
        String id;
        String subject;
        try {
            id = claims.getStringClaim("client_id");
            subject = claims.getSubject();
        } catch (ParseException e) {
            id = null;
            subject = null;
        }
        if (id == null || id.isEmpty() || id.length() > 256) {
            throw new IamException(IamException.Reason.UNAUTHENTICATED, "the bearer token names no client (client_id)");
        }
        // Only a client's own token (client_credentials: sub = "client:<client_id>") may ask for decisions. A session
        // token a client issued for an end user carries the client's id and scopes too, but its holder is the user:
        // accepting it would let any user have decisions signed in the client's name.
        if (!(CLIENT_SUBJECT_PREFIX + id).equals(subject)) {
            throw new IamException(IamException.Reason.UNAUTHENTICATED,
                    "the bearer token is not a client's own access token (client_credentials); end-user tokens cannot call this service");
        }
        Set<String> scopes = new HashSet<>();
        Object scope = claims.getClaim("scope");
        if (scope instanceof String s && !s.isBlank()) {
            scopes.addAll(Arrays.asList(s.trim().split(" +")));
        }
        // exp is required by the claims verifier; the cached entry lives no longer than the token.
        return new Verified(new AuthenticatedCaller(id, scopes), claims.getExpirationTime().toInstant());
    }

    /** Which registered-claim check failed, without echoing any value. */
    private static String claimProblem(BadJWTException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (m.contains("expired")) {
            return "expired";
        }
        if (m.contains("audience") || m.contains("aud")) {
            return "wrong audience";
        }
        if (m.contains("iss")) {
            return "wrong issuer";
        }
        if (m.contains("before use") || m.contains("nbf")) {
            return "not yet valid";
        }
        return "claims";
    }
}
