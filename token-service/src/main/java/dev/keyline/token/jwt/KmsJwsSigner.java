package dev.keyline.token.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.util.Objects;
import java.util.Set;

/**
 * A Nimbus {@link JWSSigner} that hands the signing input to a {@link KmsSigner}, so Nimbus builds
 * and serializes the JWT while the private key stays wherever the KmsSigner keeps it. It signs
 * only headers that name exactly its key ({@code kid} and {@code alg}): a JWT whose header names
 * one key and whose signature comes from another would be unverifiable.
 */
public final class KmsJwsSigner implements JWSSigner {
    private final KmsSigner signer;
    private final JwtKey key;
    private final JCAContext jca = new JCAContext();

    public KmsJwsSigner(KmsSigner signer, JwtKey key) {
        this.signer = Objects.requireNonNull(signer, "signer");
        this.key = Objects.requireNonNull(key, "key");
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
        if (!key.jwsAlgorithm().equals(header.getAlgorithm()) || !key.kid().equals(header.getKeyID())) {
            throw new JOSEException("this signer signs only alg=" + key.jwsAlgorithm() + " kid=" + key.kid());
        }
        return Base64URL.encode(signer.sign(key, signingInput));
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return Set.of(key.jwsAlgorithm());
    }

    @Override
    public JCAContext getJCAContext() {
        return jca;
    }
}
