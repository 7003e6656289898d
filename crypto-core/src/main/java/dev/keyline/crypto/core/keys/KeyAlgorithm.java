package dev.keyline.crypto.core.keys;

import java.util.Optional;

/** The algorithms a key can have, with what each can do. */
public enum KeyAlgorithm {
    AES_256_GCM(Purpose.ENCRYPTION, null),
    ECDSA_P256_SHA256(Purpose.SIGNING, "ES256"),
    ECDSA_P384_SHA384(Purpose.SIGNING, "ES384"),
    ED25519(Purpose.SIGNING, "EdDSA"),
    RSA_PSS_2048_SHA256(Purpose.SIGNING, "PS256"),
    RSA_PKCS1_2048_SHA256(Purpose.SIGNING, "RS256"),
    HMAC_SHA256(Purpose.MAC, "HS256");

    /** What a key of an algorithm is for. */
    public enum Purpose { ENCRYPTION, SIGNING, MAC }

    private final Purpose purpose;
    private final String jwsAlgorithm;

    KeyAlgorithm(Purpose purpose, String jwsAlgorithm) {
        this.purpose = purpose;
        this.jwsAlgorithm = jwsAlgorithm;
    }

    public Purpose purpose() {
        return purpose;
    }

    public boolean canEncrypt() {
        return purpose == Purpose.ENCRYPTION;
    }

    /** Sign/Verify: asymmetric signatures and HMAC tags. */
    public boolean canSign() {
        return purpose != Purpose.ENCRYPTION;
    }

    public boolean isAsymmetric() {
        return purpose == Purpose.SIGNING;
    }

    /** The JWS {@code alg} (RFC 7518 / RFC 8037), when the algorithm has one. */
    public Optional<String> jwsAlgorithm() {
        return Optional.ofNullable(jwsAlgorithm);
    }

    public static Optional<KeyAlgorithm> fromJws(String alg) {
        for (KeyAlgorithm a : values()) {
            if (alg.equals(a.jwsAlgorithm)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
