package dev.keyline.token.jwt;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.token.jwks.SigningKeys;
import java.text.ParseException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks access tokens this service issued (for introspection and revocation): the {@code kid}
 * must name one of our keys (a crypto-service version, which is looked up again when unknown, or a
 * local/fallback key), the {@code alg} must be that key's, the signature must verify, {@code iss}
 * must be ours and the token must be within {@code nbf}..{@code exp}. Anything else is
 * {@link Optional#empty()}: an introspection answers {@code active: false}, never an error.
 */
public final class AccessTokenVerifier {
    private final Optional<SigningKeys> serviceKeys;
    private final List<LocalSigner> localKeys;
    private final String issuer;
    private final InstantSource clock;

    public AccessTokenVerifier(Optional<SigningKeys> serviceKeys, List<LocalSigner> localKeys, String issuer, InstantSource clock) {
        this.serviceKeys = Objects.requireNonNull(serviceKeys, "serviceKeys");
        this.localKeys = List.copyOf(localKeys);
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Optional<VerifiedToken> verify(String token) {
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            return Optional.empty();
        }
        String kid = jwt.getHeader().getKeyID();
        if (kid == null || !signatureValid(jwt, kid)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        Date nbf = claims.getNotBeforeTime();
        if (!issuer.equals(claims.getIssuer()) || exp == null || !now.isBefore(exp.toInstant())
                || (nbf != null && now.isBefore(nbf.toInstant())) || claims.getJWTID() == null) {
            return Optional.empty();
        }
        return Optional.of(new VerifiedToken(claims, kid));
    }

    private boolean signatureValid(SignedJWT jwt, String kid) {
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        byte[] input = jwt.getSigningInput();
        byte[] sig = jwt.getSignature().decode();
        for (LocalSigner l : localKeys) {
            if (l.currentKey().kid().equals(kid)) {
                return l.currentKey().jwsAlgorithm().equals(alg) && l.verify(input, sig);
            }
        }
        if (serviceKeys.isEmpty()) {
            return false;
        }
        SigningKeys keys = serviceKeys.get();
        Optional<SigningKeys.Version> v = keys.find(kid);
        if (v.isEmpty()) {
            try {
                if (!keys.refreshFor(kid)) {
                    return false;
                }
            } catch (CryptoException e) {
                return false;
            }
            v = keys.find(kid);
        }
        return v.isPresent() && alg.getName().equals(v.get().algorithm().jwsAlgorithm().orElse(""))
                && v.get().verifyingKey().verifyJws(input, sig);
    }
}
