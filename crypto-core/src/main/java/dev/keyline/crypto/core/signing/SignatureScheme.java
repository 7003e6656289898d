package dev.keyline.crypto.core.signing;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;

/** The JCA names and parameters behind each asymmetric {@link KeyAlgorithm}. */
enum SignatureScheme {
    ES256(KeyAlgorithm.ECDSA_P256_SHA256, "SHA256withECDSA", "EC", new ECGenParameterSpec("secp256r1"), null, 32),
    ES384(KeyAlgorithm.ECDSA_P384_SHA384, "SHA384withECDSA", "EC", new ECGenParameterSpec("secp384r1"), null, 48),
    EDDSA(KeyAlgorithm.ED25519, "Ed25519", "Ed25519", null, null, 0),
    PS256(KeyAlgorithm.RSA_PSS_2048_SHA256, "RSASSA-PSS", "RSA",
            new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4),
            new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1), 0),
    RS256(KeyAlgorithm.RSA_PKCS1_2048_SHA256, "SHA256withRSA", "RSA",
            new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), null, 0);

    final KeyAlgorithm algorithm;
    final String signatureName;
    final String keyType;
    final AlgorithmParameterSpec keyGenSpec;
    final PSSParameterSpec pss;
    /** ECDSA field size in bytes, 0 for other schemes. */
    final int ecFieldBytes;

    SignatureScheme(KeyAlgorithm algorithm, String signatureName, String keyType, AlgorithmParameterSpec keyGenSpec,
            PSSParameterSpec pss, int ecFieldBytes) {
        this.algorithm = algorithm;
        this.signatureName = signatureName;
        this.keyType = keyType;
        this.keyGenSpec = keyGenSpec;
        this.pss = pss;
        this.ecFieldBytes = ecFieldBytes;
    }

    boolean isEcdsa() {
        return ecFieldBytes > 0;
    }

    static SignatureScheme of(KeyAlgorithm algorithm) {
        return switch (algorithm) {
            case ECDSA_P256_SHA256 -> ES256;
            case ECDSA_P384_SHA384 -> ES384;
            case ED25519 -> EDDSA;
            case RSA_PSS_2048_SHA256 -> PS256;
            case RSA_PKCS1_2048_SHA256 -> RS256;
            case AES_256_GCM, HMAC_SHA256 -> throw new IllegalArgumentException(algorithm + " is not a signature algorithm");
        };
    }
}
