package dev.keyline.iam.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.javalin.Javalin;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * A stand-in for the token service's signing side: an ES256 key (rotatable), its JWK set served on a
 * real loopback HTTP port at {@code /.well-known/jwks.json}, and access tokens ({@code typ: at+jwt})
 * shaped like the token service's.
 */
public final class Tokens implements AutoCloseable {
    public static final String ISSUER = "http://token.test";
    public static final String AUDIENCE = "keyline-iam";

    private final List<ECKey> keys = new ArrayList<>();
    private final Javalin http;
    private volatile int fetches;

    public Tokens() {
        keys.add(newKey());
        http = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
        });
        http.get("/.well-known/jwks.json", ctx -> {
            fetches++;
            ctx.contentType("application/jwk-set+json").result(jwks().toString());
        });
        http.start("127.0.0.1", 0);
    }

    public String jwksUrl() {
        return "http://127.0.0.1:" + http.port() + "/.well-known/jwks.json";
    }

    public int fetches() {
        return fetches;
    }

    /** The public keys currently published. */
    public synchronized JWKSet jwks() {
        return new JWKSet(keys.stream().map(k -> (com.nimbusds.jose.jwk.JWK) k.toPublicJWK()).toList());
    }

    /** A new signing key, published next to the old ones. */
    public synchronized void rotate() {
        keys.add(newKey());
    }

    /** A token for {@code clientId} with {@code scope}, the test issuer and audience, valid 15 minutes. */
    public String mint(String clientId, String scope) {
        return mint(clientId, scope, ISSUER, AUDIENCE, Instant.now().plus(Duration.ofMinutes(15)));
    }

    public synchronized String mint(String clientId, String scope, String issuer, String audience, Instant expires) {
        return sign(keys.get(keys.size() - 1), new JWTClaimsSet.Builder().issuer(issuer).subject("client:" + clientId).audience(audience)
                .claim("client_id", clientId).claim("scope", scope).issueTime(new Date()).expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString()).build(), new JOSEObjectType("at+jwt"));
    }

    /** A token whose subject is {@code subject} (an end user's session token when it is not client:&lt;id&gt;) for {@code clientId}. */
    public synchronized String mintFor(String subject, String clientId, String scope) {
        return sign(keys.get(keys.size() - 1), new JWTClaimsSet.Builder().issuer(ISSUER).subject(subject).audience(AUDIENCE)
                .claim("client_id", clientId).claim("scope", scope).issueTime(new Date())
                .expirationTime(Date.from(Instant.now().plusSeconds(600))).jwtID(UUID.randomUUID().toString()).build(),
                new JOSEObjectType("at+jwt"));
    }

    /** A valid token but with header {@code typ} {@code type}. */
    public synchronized String mintTyped(String clientId, String scope, JOSEObjectType type) {
        return sign(keys.get(keys.size() - 1), new JWTClaimsSet.Builder().issuer(ISSUER).subject("client:" + clientId).audience(AUDIENCE)
                .claim("client_id", clientId).claim("scope", scope).expirationTime(Date.from(Instant.now().plusSeconds(600))).build(), type);
    }

    /** A token signed by a key that is not published. */
    public String mintWithUnknownKey(String clientId, String scope) {
        return sign(newKey(), new JWTClaimsSet.Builder().issuer(ISSUER).subject("client:" + clientId).audience(AUDIENCE).claim("client_id", clientId)
                .claim("scope", scope).expirationTime(Date.from(Instant.now().plusSeconds(600))).build(), new JOSEObjectType("at+jwt"));
    }

    static String sign(ECKey key, JWTClaimsSet claims, JOSEObjectType type) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(type).build(), claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ECKey newKey() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID("token/jwt-signing/" + UUID.randomUUID()).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        http.stop();
    }
}
