package dev.keyline.crypto.client;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import java.util.Objects;

/**
 * The public key of one concrete version of an asymmetric key.
 *
 * @param pem X.509 SubjectPublicKeyInfo as a PEM {@code PUBLIC KEY} block
 * @param jwkJson the public JWK with {@code kid} (the key id text), {@code alg} and {@code use=sig}
 */
public record PublicKeyInfo(KeyId keyId, KeyAlgorithm algorithm, String pem, String jwkJson) {
    public PublicKeyInfo {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(pem, "pem");
        Objects.requireNonNull(jwkJson, "jwkJson");
    }
}
