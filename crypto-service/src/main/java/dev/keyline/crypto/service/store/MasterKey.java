package dev.keyline.crypto.service.store;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.aead.AeadCiphertext;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.mac.HmacSha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import dev.keyline.kit.config.ConfigException;

/**
 * The key that wraps every stored key version (AES-256-GCM). The AAD of each wrap is the
 * concrete key id, version and algorithm, so wrapped material cannot be moved to another key or
 * version without failing to unwrap.
 */
public final class MasterKey {
    /** The subject of the {@link ConfigException} a malformed or unreadable master key raises. */
    private static final String SUBJECT = "master key";
    public static final String ENV = "KEYLINE_MASTER_KEY";
    private static final String AAD_PREFIX = "keyline/master/v1|";

    private final AesGcm aead;
    private final SecureRandom random;
    private final String fingerprint;
    private final Source source;
    private final HmacSha256 auditCheckpointMac;
    private final RowMac rowMac;

    /** Where the master key came from. */
    public enum Source { ENVIRONMENT, FILE_EXISTING, FILE_CREATED, GIVEN }

    private MasterKey(SecretBytes key, SecureRandom random, Source source) {
        this.aead = AesGcm.of(key);
        this.random = random;
        this.source = source;
        this.fingerprint = fingerprint(key);
        this.auditCheckpointMac = HmacSha256.of(derive(key, "keyline/audit-checkpoint/v1"));
        this.rowMac = new RowMac(HmacSha256.of(derive(key, RowMac.LABEL)));
    }

    /** A subkey for one purpose: HMAC-SHA256(master key, label), so the master key itself is used only for wrapping. */
    private static SecretBytes derive(SecretBytes key, String label) {
        return SecretBytes.wrap(HmacSha256.of(key).compute(label.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The MAC that authenticates the audit log's checkpoint (a key derived from this master key). */
    public HmacSha256 auditCheckpointMac() {
        return auditCheckpointMac;
    }

    /** The MAC of the key store's caller, key-ring, key-version and usage rows (a key derived from this master key). */
    public RowMac rowMac() {
        return rowMac;
    }

    /**
     * The master key from {@code envValue} or an existing {@code file}, like {@link #load}, but
     * never creates one: empty when neither is there. For tools that read what a service wrote.
     */
    public static java.util.Optional<MasterKey> loadExisting(String envValue, Path file, SecureRandom random) {
        return java.util.Optional.ofNullable(load(envValue, file, random, false));
    }

    public static MasterKey of(SecretBytes key, SecureRandom random) {
        return new MasterKey(key, random, Source.GIVEN);
    }

    /**
     * The master key from {@code envValue} (base64 of 32 bytes) when given, else from
     * {@code file}, which is created with mode 0600 when absent.
     */
    public static MasterKey load(String envValue, Path file, SecureRandom random) {
        return load(envValue, file, random, true);
    }

    /** Null when there is no key and {@code create} is false. */
    private static MasterKey load(String envValue, Path file, SecureRandom random, boolean create) {
        if (envValue != null && !envValue.isBlank()) {
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(envValue.trim());
            } catch (IllegalArgumentException e) {
                throw ConfigException.of(SUBJECT, ENV + ": is not valid base64");
            }
            if (raw.length != AesGcm.KEY_BYTES) {
                throw ConfigException.of(SUBJECT, ENV + ": must decode to 32 bytes, got " + raw.length);
            }
            return new MasterKey(SecretBytes.wrap(raw), random, Source.ENVIRONMENT);
        }
        try {
            if (Files.exists(file)) {
                String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
                byte[] raw;
                try {
                    raw = Base64.getDecoder().decode(text);
                } catch (IllegalArgumentException e) {
                    throw ConfigException.of(SUBJECT, file + ": is not valid base64");
                }
                if (raw.length != AesGcm.KEY_BYTES) {
                    throw ConfigException.of(SUBJECT, file + ": must hold base64 of 32 bytes");
                }
                return new MasterKey(SecretBytes.wrap(raw), random, Source.FILE_EXISTING);
            }
            if (!create) {
                return null;
            }
            byte[] raw = new byte[AesGcm.KEY_BYTES];
            random.nextBytes(raw);
            SecretFiles.writeNew(file, Base64.getEncoder().encodeToString(raw) + "\n");
            return new MasterKey(SecretBytes.wrap(raw), random, Source.FILE_CREATED);
        } catch (IOException e) {
            throw ConfigException.of(SUBJECT, file + ": cannot be read or created (" + e.getMessage() + ")");
        }
    }

    public Source source() {
        return source;
    }

    /** A short, non-secret identifier of this master key (first bytes of SHA-256 over it). */
    public String fingerprint() {
        return fingerprint;
    }

    /** Wraps key material for one concrete version. Output: iv ‖ ciphertext ‖ tag. */
    public byte[] wrap(KeyId version, KeyAlgorithm algorithm, SecretBytes material) {
        byte[] raw = material.toByteArray();
        try {
            return aead.encrypt(raw, aad(version, algorithm), random).concatenated();
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    public SecretBytes unwrap(KeyId version, KeyAlgorithm algorithm, byte[] wrapped) {
        try {
            return SecretBytes.wrap(aead.decrypt(AeadCiphertext.fromConcatenated(wrapped), aad(version, algorithm)));
        } catch (CryptoException | IllegalArgumentException e) {
            throw new CryptoException(Reason.INTERNAL,
                    "cannot unwrap " + version + ": wrong master key or corrupted store (master key " + fingerprint + ")");
        }
    }

    private static byte[] aad(KeyId version, KeyAlgorithm algorithm) {
        if (version.version() < 1) {
            throw new IllegalArgumentException("wrapping needs a concrete version");
        }
        return (AAD_PREFIX + version + "|" + algorithm.name()).getBytes(StandardCharsets.UTF_8);
    }

    private static String fingerprint(SecretBytes key) {
        try {
            byte[] raw = key.toByteArray();
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update("keyline-master-fingerprint".getBytes(StandardCharsets.US_ASCII));
            byte[] d = md.digest(raw);
            java.util.Arrays.fill(raw, (byte) 0);
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "MasterKey[" + fingerprint + ", " + source + "]";
    }

    /** Writes small secret files readable only by their owner. */
    public static final class SecretFiles {
        private SecretFiles() {
        }

        /** Creates {@code file} with mode 0600 (where POSIX permissions exist) holding {@code text}. */
        public static void writeNew(Path file, String text) throws IOException {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        }
    }
}
