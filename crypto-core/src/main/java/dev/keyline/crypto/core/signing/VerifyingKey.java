package dev.keyline.crypto.core.signing;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.provider.InstancePool;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * A public key that checks signatures of one algorithm. {@link #verify} answers true or false and
 * never throws for a malformed signature. Immutable and thread-safe.
 */
public final class VerifyingKey {
    private final SignatureScheme scheme;
    private final PublicKey publicKey;
    private final byte[] spki;
    private final Provider provider;

    private final InstancePool<Signature> verifiers;

    private VerifyingKey(SignatureScheme scheme, PublicKey publicKey, byte[] spki, Provider provider) {
        this.scheme = scheme;
        this.publicKey = publicKey;
        this.spki = spki;
        this.provider = provider;
        this.verifiers = new InstancePool<>(() -> {
            Signature sig = Signature.getInstance(scheme.signatureName, provider);
            if (scheme.pss != null) {
                sig.setParameter(scheme.pss);
            }
            sig.initVerify(publicKey);
            return sig;
        });
    }

    /** Imports an X.509 SubjectPublicKeyInfo (DER) public key and checks it fits {@code algorithm}. */
    public static VerifyingKey fromSpki(KeyAlgorithm algorithm, byte[] spki, CryptoProviders providers) {
        SignatureScheme scheme = SignatureScheme.of(algorithm);
        try {
            PublicKey key = KeyFactory.getInstance(scheme.keyType).generatePublic(new X509EncodedKeySpec(spki));
            checkShape(scheme, key);
            return new VerifyingKey(scheme, key, key.getEncoded(), providers.forAlgorithm(algorithm));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "not a valid " + algorithm + " public key");
        }
    }

    /** Imports a PEM {@code PUBLIC KEY} block. */
    public static VerifyingKey fromPem(KeyAlgorithm algorithm, String pem, CryptoProviders providers) {
        String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "")
                .replaceAll("\\s", "");
        try {
            return fromSpki(algorithm, Base64.getDecoder().decode(body), providers);
        } catch (IllegalArgumentException e) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "not a PEM public key");
        }
    }

    private static void checkShape(SignatureScheme scheme, PublicKey key) {
        boolean ok = switch (scheme) {
            case ES256, ES384 -> key instanceof ECPublicKey ec && onCurve(ec, (ECGenParameterSpec) scheme.keyGenSpec);
            case EDDSA -> key instanceof EdECPublicKey;
            case PS256, RS256 -> key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() >= 2048;
        };
        if (!ok) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "public key does not fit " + scheme.algorithm);
        }
    }

    /** Whether the key's domain parameters are exactly the named curve's (not just the same size). */
    private static boolean onCurve(ECPublicKey key, ECGenParameterSpec curve) {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(curve);
            ECParameterSpec expected = params.getParameterSpec(ECParameterSpec.class);
            ECParameterSpec actual = key.getParams();
            return expected.getCurve().equals(actual.getCurve()) && expected.getGenerator().equals(actual.getGenerator())
                    && expected.getOrder().equals(actual.getOrder()) && expected.getCofactor() == actual.getCofactor();
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public KeyAlgorithm algorithm() {
        return scheme.algorithm;
    }

    /** X.509 SubjectPublicKeyInfo, DER. */
    public byte[] spki() {
        return spki.clone();
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /**
     * Whether {@code signature} is a valid signature of {@code data}. ECDSA signatures must be
     * strict DER; use {@link #verifyJws} for the r ‖ s form.
     */
    public boolean verify(byte[] data, byte[] signature) {
        if (scheme.isEcdsa() && EcdsaSignatures.parseDer(signature).isEmpty()) {
            return false;
        }
        try {
            return verifiers.use(sig -> {
                sig.update(data);
                return sig.verify(signature);
            });
        } catch (GeneralSecurityException | RuntimeException e) {
            // Malformed signatures make some providers throw instead of answering false.
            return false;
        }
    }

    /** Verifies a JWS-encoded signature (r ‖ s for ECDSA, the raw signature otherwise). */
    public boolean verifyJws(byte[] data, byte[] jwsSignature) {
        if (!scheme.isEcdsa()) {
            return verify(data, jwsSignature);
        }
        if (jwsSignature.length != 2 * scheme.ecFieldBytes) {
            return false;
        }
        Optional<byte[]> der = EcdsaSignatures.p1363ToDer(jwsSignature);
        return der.isPresent() && verify(data, der.get());
    }

    /** Converts a signature as {@link SigningKey#sign} made it into its JWS form. */
    public byte[] toJwsSignature(byte[] signature) {
        if (!scheme.isEcdsa()) {
            return signature.clone();
        }
        return EcdsaSignatures.derToP1363(signature, scheme.ecFieldBytes)
                .orElseThrow(() -> new CryptoException(Reason.SIGNATURE_INVALID, "not a DER ECDSA signature"));
    }

    /** PEM {@code PUBLIC KEY} block, as openssl reads it. */
    public String pem() {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(spki);
        return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
    }

    /**
     * The public JWK (RFC 7517/7518/8037) with {@code kid}, {@code alg} and {@code use=sig}.
     * Members appear in a fixed order, so the same key always gives the same text.
     */
    public String jwkJson(String kid) {
        StringBuilder sb = new StringBuilder("{");
        switch (scheme) {
            case ES256, ES384 -> {
                ECPublicKey ec = (ECPublicKey) publicKey;
                int n = scheme.ecFieldBytes;
                sb.append("\"kty\":\"EC\",\"crv\":\"").append(scheme == SignatureScheme.ES256 ? "P-256" : "P-384")
                        .append("\",\"x\":\"").append(b64u(fixed(ec.getW().getAffineX(), n)))
                        .append("\",\"y\":\"").append(b64u(fixed(ec.getW().getAffineY(), n))).append('"');
            }
            case EDDSA -> {
                // The raw 32-byte key is the tail of the SubjectPublicKeyInfo.
                byte[] raw = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
                sb.append("\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"").append(b64u(raw)).append('"');
            }
            case PS256, RS256 -> {
                RSAPublicKey rsa = (RSAPublicKey) publicKey;
                sb.append("\"kty\":\"RSA\",\"n\":\"").append(b64u(unsigned(rsa.getModulus())))
                        .append("\",\"e\":\"").append(b64u(unsigned(rsa.getPublicExponent()))).append('"');
            }
        }
        sb.append(",\"use\":\"sig\",\"alg\":\"").append(scheme.algorithm.jwsAlgorithm().orElseThrow())
                .append("\",\"kid\":\"").append(jsonEscape(kid)).append("\"}");
        return sb.toString();
    }

    private static byte[] fixed(BigInteger v, int len) {
        byte[] b = unsigned(v);
        byte[] out = new byte[len];
        System.arraycopy(b, 0, out, len - b.length, b.length);
        return out;
    }

    private static byte[] unsigned(BigInteger v) {
        byte[] b = v.toByteArray();
        return b[0] == 0 && b.length > 1 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    private static String b64u(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String jsonEscape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifyingKey other && scheme == other.scheme && Arrays.equals(spki, other.spki);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(spki);
    }

    @Override
    public String toString() {
        return "VerifyingKey[" + scheme.algorithm + "]";
    }
}
