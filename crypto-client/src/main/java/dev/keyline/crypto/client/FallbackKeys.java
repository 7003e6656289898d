package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's local fallback keys: an AES-256-GCM key and an asymmetric signing key, each
 * optional. They live in a reserved key namespace, as {@code <namespace>/aead/1} and
 * {@code <namespace>/signing/1}, so a ciphertext or signature names the fallback key that made it
 * and decrypts or verifies locally, whether or not the service is back.
 */
final class FallbackKeys {
    private static final Logger LOG = LoggerFactory.getLogger(FallbackKeys.class);

    private final String namespace;
    private final AesGcm aead;
    private final SigningKey signer;
    private final boolean ephemeral;

    private FallbackKeys(String namespace, AesGcm aead, SigningKey signer, boolean ephemeral) {
        this.namespace = namespace;
        this.aead = aead;
        this.signer = signer;
        this.ephemeral = ephemeral;
    }

    static FallbackKeys none(String namespace) {
        return new FallbackKeys(namespace, null, null, false);
    }

    /** What {@link #load} read, before development mode fills the gaps. */
    record Loaded(String namespace, AesGcm aead, SigningKey signer) {
        FallbackKeys keys() {
            return new FallbackKeys(namespace, aead, signer, false);
        }

        FallbackKeys withEphemeralWhereMissing(KeyAlgorithm signingAlgorithm) {
            if (aead != null && signer != null) {
                return keys();
            }
            SecureRandom random = new SecureRandom();
            AesGcm a = aead;
            if (a == null) {
                byte[] raw = new byte[AesGcm.KEY_BYTES];
                random.nextBytes(raw);
                a = AesGcm.of(SecretBytes.wrap(raw));
            }
            SigningKey s = signer == null ? SigningKey.generate(signingAlgorithm, random, CryptoProviders.defaults()) : signer;
            LOG.atWarn().addKeyValue("namespace", namespace)
                    .log("!!! DEVELOPMENT MODE: generated EPHEMERAL crypto-client fallback key(s) in memory. Anything encrypted or signed"
                            + " under them while the crypto service is unavailable is LOST or UNVERIFIABLE when this process ends."
                            + " Never run production like this: configure fallbackAesKeyFile and fallbackSigningKeyFile. !!!");
            return new FallbackKeys(namespace, a, s, true);
        }
    }

    /** Reads the configured keys, adding one problem (naming the field) for each that cannot be used. */
    static Loaded load(String namespace, SecretBytes aesKey, Path aesKeyFile, SigningKey signingKey, Path signingKeyFile,
            KeyAlgorithm signingAlgorithm, List<String> problems) {
        AesGcm aead = null;
        if (aesKey != null) {
            if (aesKey.size() != AesGcm.KEY_BYTES) {
                problems.add("fallbackAesKey: must be 32 bytes");
            } else {
                aead = AesGcm.of(aesKey);
            }
        } else if (aesKeyFile != null) {
            aead = readAesKey(aesKeyFile, problems);
        }
        SigningKey signer = signingKey;
        if (signer != null && signer.algorithm() != signingAlgorithm) {
            problems.add("fallbackSigningKey: is " + signer.algorithm() + " but fallbackSigningAlgorithm is " + signingAlgorithm);
            signer = null;
        }
        if (signer == null && signingKeyFile != null) {
            signer = readSigningKey(signingKeyFile, signingAlgorithm, problems);
        }
        return new Loaded(namespace, aead, signer);
    }

    private static AesGcm readAesKey(Path file, List<String> problems) {
        byte[] raw = null;
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            raw = Base64.getDecoder().decode(text);
            if (raw.length != AesGcm.KEY_BYTES) {
                problems.add("fallbackAesKeyFile: " + file + " must hold the base64 of exactly 32 bytes");
                return null;
            }
            return AesGcm.of(SecretBytes.copyOf(raw));
        } catch (IOException | RuntimeException e) {
            // Never include the file's content: it is the key.
            problems.add("fallbackAesKeyFile: " + file + " is not readable base64 of a 32-byte key");
            return null;
        } finally {
            if (raw != null) {
                Arrays.fill(raw, (byte) 0);
            }
        }
    }

    private static SigningKey readSigningKey(Path file, KeyAlgorithm algorithm, List<String> problems) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            problems.add("fallbackSigningKeyFile: " + file + " is not readable");
            return null;
        }
        try {
            return SigningKey.fromKeyPairPem(algorithm, text, CryptoProviders.defaults());
        } catch (CryptoException e) {
            problems.add("fallbackSigningKeyFile: " + file + ": " + e.getMessage());
            return null;
        }
    }

    boolean isFallbackKey(KeyId id) {
        return !namespace.isEmpty() && id.namespace().equals(namespace);
    }

    KeyId aeadKeyId() {
        return KeyId.of(namespace, "aead", 1);
    }

    KeyId signingKeyId() {
        return KeyId.of(namespace, "signing", 1);
    }

    Optional<AesGcm> aead() {
        return Optional.ofNullable(aead);
    }

    Optional<SigningKey> signer() {
        return Optional.ofNullable(signer);
    }

    boolean any() {
        return aead != null || signer != null;
    }

    @Override
    public String toString() {
        return "FallbackKeys[" + namespace + (aead != null ? ", aead" : "") + (signer != null ? ", " + signer.algorithm() : "")
                + (ephemeral ? ", EPHEMERAL" : "") + ", keys redacted]";
    }
}
