package dev.keyline.crypto.core.signing;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.provider.InstancePool;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;

/**
 * A private signing key of one asymmetric algorithm. ECDSA signatures come out DER-encoded; use
 * {@link EcdsaSignatures} for the JWS form. Immutable and thread-safe; prints nothing secret.
 */
public final class SigningKey {
    private final SignatureScheme scheme;
    private final PrivateKey privateKey;
    private final VerifyingKey verifyingKey;
    private final Provider provider;
    private final InstancePool<Signature> signers;

    private SigningKey(SignatureScheme scheme, PrivateKey privateKey, VerifyingKey verifyingKey, Provider provider) {
        this.scheme = scheme;
        this.privateKey = privateKey;
        this.verifyingKey = verifyingKey;
        this.provider = provider;
        this.signers = new InstancePool<>(() -> {
            Signature sig = Signature.getInstance(scheme.signatureName, provider);
            if (scheme.pss != null) {
                sig.setParameter(scheme.pss);
            }
            sig.initSign(privateKey);
            return sig;
        });
    }

    /** A new key pair of {@code algorithm}. */
    public static SigningKey generate(KeyAlgorithm algorithm, SecureRandom random, CryptoProviders providers) {
        SignatureScheme scheme = SignatureScheme.of(algorithm);
        Provider provider = providers.forAlgorithm(algorithm);
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance(scheme.keyType, provider);
            if (scheme.keyGenSpec != null) {
                gen.initialize(scheme.keyGenSpec, random);
            }
            KeyPair pair = gen.generateKeyPair();
            VerifyingKey pub = VerifyingKey.fromSpki(algorithm, pair.getPublic().getEncoded(), providers);
            // Re-import through the JDK's key factory so the encodings are standard PKCS#8.
            return fromPkcs8(algorithm, SecretBytes.wrap(pair.getPrivate().getEncoded()), pub, providers);
        } catch (GeneralSecurityException e) {
            throw new CryptoException(Reason.INTERNAL, "key generation failed for " + algorithm, e);
        }
    }

    /** Imports a PKCS#8 private key together with its public key. */
    public static SigningKey fromPkcs8(KeyAlgorithm algorithm, SecretBytes pkcs8, VerifyingKey publicKey,
            CryptoProviders providers) {
        SignatureScheme scheme = SignatureScheme.of(algorithm);
        if (publicKey.algorithm() != algorithm) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "public key is " + publicKey.algorithm() + ", not " + algorithm);
        }
        byte[] raw = pkcs8.toByteArray();
        try {
            PrivateKey key = KeyFactory.getInstance(scheme.keyType).generatePrivate(new PKCS8EncodedKeySpec(raw));
            return new SigningKey(scheme, key, publicKey, providers.forAlgorithm(algorithm));
        } catch (GeneralSecurityException e) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "not a valid " + algorithm + " private key");
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private static final java.util.regex.Pattern PEM_BLOCK =
            java.util.regex.Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    /**
     * Reads a key pair file: a PKCS#8 {@code PRIVATE KEY} PEM block and its {@code PUBLIC KEY}
     * block (what {@link #keyPairPem()} writes, or {@code openssl genpkey} plus {@code openssl pkey
     * -pubout} concatenated). Fails with INVALID_ARGUMENT, naming what is wrong but no key bytes,
     * when a block is missing, the key is not of {@code algorithm}, or the halves do not belong together.
     */
    public static SigningKey fromKeyPairPem(KeyAlgorithm algorithm, String text, CryptoProviders providers) {
        byte[] pkcs8 = null;
        String publicPem = null;
        java.util.regex.Matcher m = PEM_BLOCK.matcher(text);
        while (m.find()) {
            if (m.group(1).equals("PRIVATE KEY")) {
                try {
                    pkcs8 = java.util.Base64.getMimeDecoder().decode(m.group(2));
                } catch (IllegalArgumentException e) {
                    pkcs8 = null;
                }
            } else if (m.group(1).equals("PUBLIC KEY")) {
                publicPem = m.group();
            }
        }
        if (pkcs8 == null || publicPem == null) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "must hold a PKCS#8 PRIVATE KEY block and its PUBLIC KEY block");
        }
        SigningKey key;
        try {
            VerifyingKey pub = VerifyingKey.fromPem(algorithm, publicPem, providers);
            key = fromPkcs8(algorithm, SecretBytes.wrap(pkcs8), pub, providers);
        } catch (CryptoException e) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "is not a " + algorithm + " key pair (" + e.reason() + ")");
        }
        byte[] probe = "keyline key pair check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (!key.verifyingKey().verify(probe, key.sign(probe))) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "the PUBLIC KEY is not the public half of the PRIVATE KEY");
        }
        return key;
    }

    /** The key pair in the format {@link #fromKeyPairPem} reads. Holds the private key: write it only to a 0600 file. */
    public String keyPairPem() {
        byte[] der = privateKey.getEncoded();
        try {
            return "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                    + "\n-----END PRIVATE KEY-----\n" + verifyingKey.pem();
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    public KeyAlgorithm algorithm() {
        return scheme.algorithm;
    }

    public VerifyingKey verifyingKey() {
        return verifyingKey;
    }

    /** PKCS#8 encoding of the private key. Secret. */
    public SecretBytes pkcs8() {
        return SecretBytes.wrap(privateKey.getEncoded());
    }

    /** Signs {@code data}; ECDSA signatures are DER. */
    public byte[] sign(byte[] data) {
        try {
            return signers.use(sig -> {
                sig.update(data);
                return sig.sign();
            });
        } catch (GeneralSecurityException e) {
            throw new CryptoException(Reason.SIGNATURE_FAILED, scheme.algorithm + " signing failed", e);
        }
    }

    @Override
    public String toString() {
        return "SigningKey[" + scheme.algorithm + ", private key redacted]";
    }
}
