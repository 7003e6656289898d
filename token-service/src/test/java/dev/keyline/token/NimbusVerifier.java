package dev.keyline.token;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The independent verifier of the tests: Nimbus JOSE+JWT parses the JWK Set and the JWT and checks
 * ES256/ES384/RS256/PS256 signatures itself. Nimbus's EdDSA verifier needs Google Tink, which is
 * not on the class path, so Ed25519 signatures are checked with the JDK's own Ed25519 on the key
 * Nimbus parsed from the JWK — still no Keyline code involved.
 */
public final class NimbusVerifier {
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private NimbusVerifier() {
    }

    /** The key of {@code jwks} the token's kid names, if the set has it. */
    public static Optional<JWK> keyFor(String token, String jwksJson) throws Exception {
        SignedJWT jwt = SignedJWT.parse(token);
        return Optional.ofNullable(JWKSet.parse(jwksJson).getKeyByKeyId(jwt.getHeader().getKeyID()));
    }

    /** Whether {@code token} carries a valid signature by the key of {@code jwksJson} its kid names. */
    public static boolean verifies(String token, String jwksJson) throws Exception {
        SignedJWT jwt = SignedJWT.parse(token);
        JWK jwk = JWKSet.parse(jwksJson).getKeyByKeyId(jwt.getHeader().getKeyID());
        if (jwk == null) {
            return false;
        }
        if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(jwt.getHeader().getAlgorithm().getName())) {
            return false;
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (jwk instanceof OctetKeyPair okp) {
            if (!JWSAlgorithm.EdDSA.equals(alg) && !"Ed25519".equals(alg.getName())) {
                return false;
            }
            byte[] x = okp.getX().decode();
            byte[] spki = new byte[ED25519_SPKI_PREFIX.length + x.length];
            System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
            System.arraycopy(x, 0, spki, ED25519_SPKI_PREFIX.length, x.length);
            PublicKey pub = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(pub);
            s.update(jwt.getSigningInput());
            return s.verify(jwt.getSignature().decode());
        }
        JWSVerifier verifier = switch (jwk) {
            case ECKey ec -> new ECDSAVerifier(ec);
            case RSAKey rsa -> new RSASSAVerifier(rsa);
            default -> throw new IllegalArgumentException("unexpected key type " + jwk.getKeyType());
        };
        return jwt.verify(verifier);
    }
}
