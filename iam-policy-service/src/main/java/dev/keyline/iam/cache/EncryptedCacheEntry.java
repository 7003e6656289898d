package dev.keyline.iam.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * The stored form of an encrypted L2 entry: the seed's {@code EncryptedCacheEntry} fields plus the
 * wrapped data key that envelope encryption needs. As JSON (arrays in standard base64, times in
 * Unix milliseconds):
 * <pre>
 * {"ciphertext": "...", "iv": "...", "tag": "...", "key_id": "iam/decision-cache/1",
 *  "algorithm": "AES-256-GCM", "cached_at": 1767225600000, "expires_at": 1767225900000,
 *  "wrapped_key": "..."}
 * </pre>
 * {@code ciphertext}, {@code iv} (12 bytes) and {@code tag} (16 bytes) are the AES-256-GCM
 * encryption of the evaluation under a data key; {@code wrapped_key} is that data key wrapped by
 * the crypto service under {@code key_id} (the header of the crypto client's envelope format v1);
 * {@code key_id} is the concrete version that wrapped it. The AAD binds subject, resource, action,
 * policy version, the entry's key and both times (see {@link CacheKey#aad}), so changing
 * {@code cached_at} or {@code expires_at} makes the entry fail to decrypt.
 */
public record EncryptedCacheEntry(byte[] ciphertext, byte[] iv, byte[] tag, String keyId, String algorithm, long cachedAt, long expiresAt,
        byte[] wrappedKey) {
    public static final String ALGORITHM = "AES-256-GCM";
    private static final int IV_BYTES = 12;
    private static final int TAG_BYTES = 16;

    public EncryptedCacheEntry {
        ciphertext = ciphertext.clone();
        iv = iv.clone();
        tag = tag.clone();
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(algorithm, "algorithm");
        wrappedKey = wrappedKey.clone();
    }

    /** Splits an envelope ({@link EnvelopeEncryptor} format v1) into the stored fields. */
    static EncryptedCacheEntry fromEnvelope(byte[] envelope, long cachedAt, long expiresAt) {
        int header = EnvelopeEncryptor.headerLength(envelope);
        int tagAt = envelope.length - TAG_BYTES;
        return new EncryptedCacheEntry(Arrays.copyOfRange(envelope, header + IV_BYTES, tagAt), Arrays.copyOfRange(envelope, header,
                header + IV_BYTES), Arrays.copyOfRange(envelope, tagAt, envelope.length), EnvelopeEncryptor.describe(envelope).wrappingKeyId()
                .toString(), ALGORITHM, cachedAt, expiresAt, Arrays.copyOf(envelope, header));
    }

    /** Joins the stored fields back into the envelope the encryptor decrypts. */
    byte[] envelope() {
        byte[] out = new byte[wrappedKey.length + iv.length + ciphertext.length + tag.length];
        System.arraycopy(wrappedKey, 0, out, 0, wrappedKey.length);
        System.arraycopy(iv, 0, out, wrappedKey.length, iv.length);
        System.arraycopy(ciphertext, 0, out, wrappedKey.length + iv.length, ciphertext.length);
        System.arraycopy(tag, 0, out, wrappedKey.length + iv.length + ciphertext.length, tag.length);
        return out;
    }

    byte[] toJsonBytes() {
        Base64.Encoder b64 = Base64.getEncoder();
        ObjectNode n = EvaluationCodec.JSON.createObjectNode();
        n.put("ciphertext", b64.encodeToString(ciphertext));
        n.put("iv", b64.encodeToString(iv));
        n.put("tag", b64.encodeToString(tag));
        n.put("key_id", keyId);
        n.put("algorithm", algorithm);
        n.put("cached_at", cachedAt);
        n.put("expires_at", expiresAt);
        n.put("wrapped_key", b64.encodeToString(wrappedKey));
        try {
            return EvaluationCodec.JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a cache entry", e);
        }
    }

    /** Whether {@code n} has the shape of an encrypted entry. */
    static boolean looksEncrypted(JsonNode n) {
        return n.has("ciphertext") && n.has("wrapped_key");
    }

    static EncryptedCacheEntry fromJson(JsonNode n) {
        Base64.Decoder b64 = Base64.getDecoder();
        try {
            return new EncryptedCacheEntry(b64.decode(EvaluationCodec.text(n, "ciphertext")), b64.decode(EvaluationCodec.text(n, "iv")),
                    b64.decode(EvaluationCodec.text(n, "tag")), EvaluationCodec.text(n, "key_id"), EvaluationCodec.text(n, "algorithm"),
                    number(n, "cached_at"), number(n, "expires_at"), b64.decode(EvaluationCodec.text(n, "wrapped_key")));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed encrypted cache entry: " + e.getMessage(), e);
        }
    }

    static long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(field + " is missing or not an integer");
        }
        return v.asLong();
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    @Override
    public byte[] iv() {
        return iv.clone();
    }

    @Override
    public byte[] tag() {
        return tag.clone();
    }

    @Override
    public byte[] wrappedKey() {
        return wrappedKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncryptedCacheEntry e && Arrays.equals(ciphertext, e.ciphertext) && Arrays.equals(iv, e.iv)
                && Arrays.equals(tag, e.tag) && keyId.equals(e.keyId) && algorithm.equals(e.algorithm) && cachedAt == e.cachedAt
                && expiresAt == e.expiresAt && Arrays.equals(wrappedKey, e.wrappedKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(ciphertext), Arrays.hashCode(iv), Arrays.hashCode(tag), keyId, algorithm, cachedAt, expiresAt,
                Arrays.hashCode(wrappedKey));
    }

    @Override
    public String toString() {
        return "EncryptedCacheEntry[" + keyId + ", " + algorithm + ", " + ciphertext.length + " bytes, expires " + expiresAt + "]";
    }
}
