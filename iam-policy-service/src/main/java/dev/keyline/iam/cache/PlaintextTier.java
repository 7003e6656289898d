package dev.keyline.iam.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.metrics.IamMetrics;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * L2 entries as plaintext JSON: {@code {"format":"plaintext","evaluation":{...},"cached_at":...,
 * "expires_at":...}}. Used when cache encryption is off, and by {@link EncryptedDecisionCache} for
 * its {@link CryptoFallback#PLAINTEXT} fallback. The evaluation names no subject or resource.
 */
final class PlaintextTier implements DistributedTier {
    private final CacheStorage storage;
    private final Duration ttl;
    private final InstantSource clock;
    private final IamMetrics metrics;

    PlaintextTier(CacheStorage storage, Duration ttl, InstantSource clock, IamMetrics metrics) {
        this.storage = storage;
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

    /** The evaluation of a plaintext entry {@code n} for {@code key}, if it is one, fresh and for that version. */
    Optional<Evaluation> read(JsonNode n, CacheKey key) {
        try {
            if (!"plaintext".equals(n.path("format").asText())) {
                metrics.cacheError("not_plaintext");
                return Optional.empty();
            }
            if (EncryptedCacheEntry.number(n, "expires_at") <= clock.millis()) {
                metrics.cacheError("expired");
                return Optional.empty();
            }
            Evaluation e = EvaluationCodec.fromJson(n.get("evaluation"));
            if (!e.policyVersion().equals(key.policyVersion())) {
                metrics.cacheError("version_mismatch");
                return Optional.empty();
            }
            return Optional.of(e);
        } catch (IllegalArgumentException ex) {
            metrics.cacheError("malformed");
            return Optional.empty();
        }
    }

    @Override
    public void put(CacheKey key, Evaluation evaluation) {
        long now = clock.millis();
        ObjectNode n = EvaluationCodec.JSON.createObjectNode();
        n.put("format", "plaintext");
        n.set("evaluation", EvaluationCodec.toJson(evaluation));
        n.put("cached_at", now);
        n.put("expires_at", now + ttl.toMillis());
        try {
            storage.put(key.digest(), EvaluationCodec.JSON.writeValueAsBytes(n), ttl);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize a cache entry", e);
        }
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
