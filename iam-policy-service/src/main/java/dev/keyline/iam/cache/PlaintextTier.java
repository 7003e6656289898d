package dev.keyline.iam.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.iam.decision.CanonicalBytes;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.metrics.IamMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Optional;

/**
 * L2 entries as authenticated plaintext JSON:
 * <pre>
 * {"format":"plaintext-v2","evaluation":"{...}","cached_at":...,"expires_at":...,"mac":"..."}
 * </pre>
 * {@code evaluation} is the evaluation's JSON as a string (so the MAC covers exactly the stored
 * bytes); {@code mac} is base64 of HMAC-SHA256, under the entry-MAC key derived from the
 * service's cache secret ({@link CacheKeys#entryMac()}), of the label
 * {@code keyline-iam-plaintext-entry-v2}, the entry's {@link CacheKey#aad associated data} (subject,
 * resource, action, policy version, entry key, both times) and the evaluation bytes. An entry
 * without a valid MAC — written by anyone without the secret, copied to another key, edited, or
 * extended — is a miss. Older plaintext entries ({@code "format":"plaintext"}, no MAC) are always
 * refused.
 *
 * <p>Used when cache encryption is off, and by {@link EncryptedDecisionCache} for its
 * {@link CryptoFallback#PLAINTEXT} fallback while the crypto service is unavailable. The evaluation
 * names no subject or resource.
 */
final class PlaintextTier implements DistributedTier {
    static final String FORMAT = "plaintext-v2";
    private static final String MAC_LABEL = "keyline-iam-plaintext-entry-v2";

    private final CacheStorage storage;
    private final HmacSha256 mac;
    private final Duration ttl;
    private final InstantSource clock;
    private final IamMetrics metrics;

    PlaintextTier(CacheStorage storage, HmacSha256 mac, Duration ttl, InstantSource clock, IamMetrics metrics) {
        this.storage = storage;
        this.mac = mac;
        this.ttl = ttl;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Override
    public CacheStorage storage() {
        return storage;
    }

    @Override
    public Optional<Evaluation> get(CacheKey key) {
        return storage.get(key.digest()).flatMap(bytes -> {
            JsonNode n = parse(bytes, metrics);
            return n == null ? Optional.empty() : read(n, key);
        });
    }

    /** The evaluation of a plaintext entry {@code n} for {@code key}, if it is one, authentic, fresh and for that version. */
    Optional<Evaluation> read(JsonNode n, CacheKey key) {
        try {
            if (!FORMAT.equals(n.path("format").asText())) {
                metrics.cacheError("plaintext_refused");
                return Optional.empty();
            }
            long cachedAt = EncryptedCacheEntry.number(n, "cached_at");
            long expiresAt = EncryptedCacheEntry.number(n, "expires_at");
            byte[] evaluation = EvaluationCodec.text(n, "evaluation").getBytes(StandardCharsets.UTF_8);
            byte[] tag = Base64.getDecoder().decode(EvaluationCodec.text(n, "mac"));
            if (!mac.verify(macInput(key, cachedAt, expiresAt, evaluation), tag)) {
                metrics.cacheError("mac_invalid");
                return Optional.empty();
            }
            if (expiresAt <= clock.millis()) {
                metrics.cacheError("expired");
                return Optional.empty();
            }
            Evaluation e = EvaluationCodec.fromJson(EvaluationCodec.JSON.readTree(evaluation));
            if (!e.policyVersion().equals(key.policyVersion())) {
                metrics.cacheError("version_mismatch");
                return Optional.empty();
            }
            return Optional.of(e);
        } catch (IllegalArgumentException | IOException ex) {
            metrics.cacheError("malformed");
            return Optional.empty();
        }
    }

    @Override
    public void put(CacheKey key, Evaluation evaluation) {
        storage.put(key.digest(), entry(key, evaluation), ttl);
    }

    /** The stored bytes of an authenticated plaintext entry of {@code evaluation} for {@code key}. */
    byte[] entry(CacheKey key, Evaluation evaluation) {
        long now = clock.millis();
        long expires = now + ttl.toMillis();
        try {
            byte[] json = EvaluationCodec.JSON.writeValueAsBytes(EvaluationCodec.toJson(evaluation));
            ObjectNode n = EvaluationCodec.JSON.createObjectNode();
            n.put("format", FORMAT);
            n.put("evaluation", new String(json, StandardCharsets.UTF_8));
            n.put("cached_at", now);
            n.put("expires_at", expires);
            n.put("mac", Base64.getEncoder().encodeToString(mac.compute(macInput(key, now, expires, json))));
            return EvaluationCodec.JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a cache entry", e);
        }
    }

    private static byte[] macInput(CacheKey key, long cachedAt, long expiresAt, byte[] evaluation) {
        return CanonicalBytes.builder().text(MAC_LABEL).bytes(key.aad(cachedAt, expiresAt)).bytes(evaluation).build();
    }

    static JsonNode parse(byte[] bytes, IamMetrics metrics) {
        try {
            JsonNode n = EvaluationCodec.JSON.readTree(bytes);
            if (n != null && n.isObject()) {
                return n;
            }
        } catch (IOException e) {
            // Not JSON: counted below as malformed, and a miss.
        }
        metrics.cacheError("malformed");
        return null;
    }
}
