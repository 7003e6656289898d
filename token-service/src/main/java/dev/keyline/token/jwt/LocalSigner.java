package dev.keyline.token.jwt;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.core.signing.VerifyingKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Signs JWTs in this process with one key: an asymmetric key read from a PEM file (the
 * pre-integration path of the seed, and the fallback key used while the crypto service is
 * unavailable), or — only when explicitly configured — an HMAC-SHA256 key, whose tokens only this
 * service can verify because the key cannot be published.
 *
 * <p>The {@code kid} of a file key is {@code <namespace>/jwt-<first 8 bytes of SHA-256(SPKI) in
 * hex>/1}: stable for one key, different for another, so replacing the file never reuses a kid
 * that verifiers may have cached with the old public key.
 */
public final class LocalSigner implements KmsSigner {

    private final JwtKey key;
    private final SigningKey asymmetric;
    private final HmacSha256 hmac;

    private LocalSigner(JwtKey key, SigningKey asymmetric, HmacSha256 hmac) {
        this.key = key;
        this.asymmetric = asymmetric;
        this.hmac = hmac;
    }

    /** A signer for {@code signingKey} whose kid is derived from its public key under {@code namespace}. */
    public static LocalSigner of(SigningKey signingKey, String namespace) {
        Objects.requireNonNull(signingKey, "signingKey");
        return new LocalSigner(new JwtKey(kidFor(namespace, signingKey.verifyingKey()), signingKey.algorithm()), signingKey, null);
    }

    /**
     * An HMAC-SHA256 ({@code HS256}) signer. Its tokens cannot be verified by anyone but this
     * service (the key is secret and never in the JWKS): use it as a fallback only when every
     * verifier introspects.
     */
    public static LocalSigner hmac(SecretBytes key, String kid) {
        if (key.size() < 32) {
            throw new CryptoException(Reason.INVALID_CONFIG, "an HMAC signing key must have at least 32 bytes");
        }
        return new LocalSigner(new JwtKey(kid, KeyAlgorithm.HMAC_SHA256), null, HmacSha256.of(key));
    }

    /**
     * Reads a PEM file holding a PKCS#8 {@code PRIVATE KEY} block and its {@code PUBLIC KEY} block
     * ({@code openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 > k.pem; openssl pkey
     * -in k.pem -pubout >> k.pem}) of {@code algorithm}. Fails with {@code INVALID_CONFIG} naming
     * the file, never its content.
     */
    public static LocalSigner fromPemFile(Path file, KeyAlgorithm algorithm, String namespace) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new CryptoException(Reason.INVALID_CONFIG, file + " is not readable");
        }
        return of(parsePem(text, algorithm, file.toString()), namespace);
    }

    /** Reads an HMAC key file: the base64 of at least 32 random bytes. */
    public static LocalSigner hmacFromFile(Path file, String kid) {
        byte[] raw = null;
        try {
            raw = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
            return hmac(SecretBytes.copyOf(raw), kid);
        } catch (IOException | IllegalArgumentException e) {
            throw new CryptoException(Reason.INVALID_CONFIG, file + " is not readable base64 of an HMAC key");
        } finally {
            if (raw != null) {
                Arrays.fill(raw, (byte) 0);
            }
        }
    }

    /**
     * Generates a key pair of {@code algorithm} and writes it to {@code file} (mode 0600) in the
     * format {@link #fromPemFile} reads: for development set-ups and tests.
     */
    public static void writeNewKeyFile(Path file, KeyAlgorithm algorithm, SecureRandom random) {
        SigningKey k = SigningKey.generate(algorithm, random, CryptoProviders.defaults());
        try {
            String pem = k.keyPairPem();
            Files.deleteIfExists(file);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                // A file system without POSIX permissions (not Linux): the best available.
                Files.createFile(file);
            }
            Files.writeString(file, pem, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static SigningKey parsePem(String text, KeyAlgorithm algorithm, String source) {
        try {
            return SigningKey.fromKeyPairPem(algorithm, text, CryptoProviders.defaults());
        } catch (CryptoException e) {
            throw new CryptoException(Reason.INVALID_CONFIG, source + ": " + e.getMessage());
        }
    }

    static String kidFor(String namespace, VerifyingKey pub) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(pub.spki());
            return namespace + "/jwt-" + HexFormat.of().formatHex(digest, 0, 8) + "/1";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    @Override
    public JwtKey currentKey() {
        return key;
    }

    @Override
    public byte[] sign(JwtKey requested, byte[] signingInput) {
        if (!key.equals(requested)) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "this local signer holds " + key.kid() + ", not " + requested.kid());
        }
        return asymmetric != null ? asymmetric.verifyingKey().toJwsSignature(asymmetric.sign(signingInput)) : hmac.compute(signingInput);
    }

    /** Checks a JWS signature made by this signer's key. */
    public boolean verify(byte[] signingInput, byte[] jwsSignature) {
        return asymmetric != null ? asymmetric.verifyingKey().verifyJws(signingInput, jwsSignature) : hmac.verify(signingInput, jwsSignature);
    }

    /** The public JWK to publish; empty for an HMAC key, which must never be published. */
    public Optional<String> publicJwk() {
        return asymmetric == null ? Optional.empty() : Optional.of(asymmetric.verifyingKey().jwkJson(key.kid()));
    }

    /** The public key; empty for HMAC. */
    public Optional<VerifyingKey> verifyingKey() {
        return asymmetric == null ? Optional.empty() : Optional.of(asymmetric.verifyingKey());
    }

    @Override
    public String kind() {
        return "local";
    }

    @Override
    public String toString() {
        return "LocalSigner[" + key.kid() + ", " + key.algorithm() + ", key redacted]";
    }
}
