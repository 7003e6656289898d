package dev.keyline.iam.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.client.RequestContext;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.metrics.IamMetrics;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's decorator: encrypts every L2 entry before it is stored and decrypts it after it is
 * read, with envelope encryption from the crypto client ({@link EnvelopeEncryptor}: AES-256-GCM in
 * this process under a data key the crypto service generated and wrapped).
 *
 * <p><b>Guarantee.</b> An entry is used only if it decrypts and authenticates under the AAD of the
 * request being answered ({@link CacheKey#aad}: subject, resource, action, policy version, entry
 * key, validity period). An entry copied to another key, edited, replayed for another request or
 * policy version, or extended past its expiry fails authentication and is a miss — never a
 * different decision. The stored form is {@link EncryptedCacheEntry}.
 *
 * <p><b>Crypto service unavailable.</b> Writing: with {@link CryptoFallback#SKIP} (the default) the
 * entry is not stored; with {@link CryptoFallback#PLAINTEXT} it is stored as an authenticated
 * plaintext entry (see {@link PlaintextTier}: HMAC-SHA256 under a key derived from the service's
 * cache secret, over the entry and its AAD). Either way {@code keyline_iam_crypto_fallback_total{operation="encrypt"}}
 * counts it and a WARN line carries the correlation id. Plaintext entries are read only while this
 * cache last saw the crypto service unavailable (an encrypt or unwrap failed as unavailable and
 * none has succeeded since), only with {@code PLAINTEXT}, and only when their MAC verifies; at any
 * other time a plaintext entry is a miss ({@code keyline_iam_cache_errors_total{reason="plaintext_refused"}}),
 * so a Redis writer who overwrites an encrypted entry gets a miss and a fresh evaluation, never the
 * decision they wrote. Reading an entry whose data key is not cached here needs the service to
 * unwrap it: unavailable means a miss, counted as {@code operation="decrypt"}. Other crypto
 * failures (a disabled key, no permission) are errors, not fallbacks: nothing is stored and the
 * entry is a miss.
 */
public final class EncryptedDecisionCache implements DistributedTier {
    private static final Logger LOG = LoggerFactory.getLogger(EncryptedDecisionCache.class);

    private final PlaintextTier plaintext;
    private final EnvelopeEncryptor encryptor;
    private final CryptoFallback fallback;
    private final Duration ttl;
    private final InstantSource clock;
    private final IamMetrics metrics;
    /** Whether the last crypto call of this cache found the service unavailable; see the class comment. */
    private final AtomicBoolean cryptoUnavailable = new AtomicBoolean();

    EncryptedDecisionCache(PlaintextTier plaintext, EnvelopeEncryptor encryptor, CryptoFallback fallback, Duration ttl, InstantSource clock,
            IamMetrics metrics) {
        this.plaintext = plaintext;
        this.encryptor = encryptor;
        this.fallback = fallback;
        this.ttl = ttl;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Override
    public CacheStorage storage() {
        return plaintext.storage();
    }

    @Override
    public Optional<Evaluation> get(CacheKey key) {
        Optional<byte[]> stored = plaintext.storage().get(key.digest());
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        JsonNode n = PlaintextTier.parse(stored.get(), metrics);
        if (n == null) {
            return Optional.empty();
        }
        if (!EncryptedCacheEntry.looksEncrypted(n)) {
            if (fallback == CryptoFallback.PLAINTEXT && cryptoUnavailable.get()) {
                return plaintext.read(n, key);
            }
            // SKIP never writes plaintext, and with the crypto service up we write only encrypted
            // entries: a plaintext entry now is stale or forged. Refuse it.
            metrics.cacheError("plaintext_refused");
            return Optional.empty();
        }
        EncryptedCacheEntry entry;
        try {
            entry = EncryptedCacheEntry.fromJson(n);
        } catch (IllegalArgumentException e) {
            metrics.cacheError("malformed");
            return Optional.empty();
        }
        if (entry.expiresAt() <= clock.millis()) {
            metrics.cacheError("expired");
            return Optional.empty();
        }
        return decrypt(key, entry);
    }

    /** Decrypts {@code entry} for {@code key}; a miss on any failure. Package-private for the property tests. */
    Optional<Evaluation> decrypt(CacheKey key, EncryptedCacheEntry entry) {
        long start = System.nanoTime();
        byte[] json;
        try {
            byte[] envelope = entry.envelope();
            // key_id and algorithm are outside the AEAD: they must say what the authenticated header says.
            if (!entry.algorithm().equals(EncryptedCacheEntry.ALGORITHM)
                    || !EnvelopeEncryptor.describe(envelope).wrappingKeyId().toString().equals(entry.keyId())) {
                metrics.cacheError("malformed");
                return Optional.empty();
            }
            json = encryptor.decrypt(envelope, key.aad(entry.cachedAt(), entry.expiresAt()));
        } catch (CryptoException e) {
            metrics.crypto("decrypt", "failure", System.nanoTime() - start);
            metrics.cryptoError("decrypt", e.reason().name());
            if (FallbackHandler.eligible(e)) {
                cryptoUnavailable.set(true);
                metrics.fallback("decrypt");
                warnFallback("decrypt", e, "cannot unwrap the data key of an L2 entry; treating it as a miss");
            } else {
                LOG.atWarn().addKeyValue("error_code", e.reason().name()).addKeyValue("correlation_id", correlationId(e))
                        .addKeyValue("entry", key.toString())
                        .log("an encrypted L2 entry did not decrypt for this request (tampered, or bound to another request); treating it as a miss");
            }
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            // The stored fields did not form an envelope (e.g. a truncated wrapped key), or the client
            // library failed unexpectedly: either way the entry cannot be trusted, so it is a miss.
            metrics.crypto("decrypt", "failure", System.nanoTime() - start);
            metrics.cryptoError("decrypt", e instanceof LinkageError ? "INTERNAL" : "MALFORMED");
            return Optional.empty();
        }
        metrics.crypto("decrypt", "success", System.nanoTime() - start);
        cryptoUnavailable.set(false);
        try {
            Evaluation e = EvaluationCodec.fromJson(EvaluationCodec.JSON.readTree(json));
            if (!e.policyVersion().equals(key.policyVersion())) {
                metrics.cacheError("version_mismatch");
                return Optional.empty();
            }
            return Optional.of(e);
        } catch (IOException | IllegalArgumentException e) {
            metrics.cacheError("malformed");
            return Optional.empty();
        }
    }

    @Override
    public void put(CacheKey key, Evaluation evaluation) {
        switch (seal(key, evaluation)) {
            case Sealing.Sealed s -> plaintext.storage().put(key.digest(), s.entry().toJsonBytes(), ttl);
            case Sealing.Unavailable u -> {
                if (fallback == CryptoFallback.PLAINTEXT) {
                    plaintext.put(key, evaluation);
                }
            }
            case Sealing.Failed f -> {
                // Counted and logged in seal(); an entry we cannot encrypt is not stored.
            }
        }
    }

    /** The outcome of encrypting one entry. */
    sealed interface Sealing {
        record Sealed(EncryptedCacheEntry entry) implements Sealing { }

        /** The crypto service is unavailable: the configured {@link CryptoFallback} applies. */
        record Unavailable() implements Sealing { }

        /** Any other crypto failure: nothing is stored. */
        record Failed() implements Sealing { }
    }

    /** Encrypts {@code evaluation} for {@code key}; failures are counted and logged here. */
    Sealing seal(CacheKey key, Evaluation evaluation) {
        long now = clock.millis();
        long expires = now + ttl.toMillis();
        long start = System.nanoTime();
        byte[] json;
        try {
            json = EvaluationCodec.JSON.writeValueAsBytes(EvaluationCodec.toJson(evaluation));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize an evaluation", e);
        }
        try {
            byte[] envelope = encryptor.encrypt(json, key.aad(now, expires));
            metrics.crypto("encrypt", "success", System.nanoTime() - start);
            cryptoUnavailable.set(false);
            return new Sealing.Sealed(EncryptedCacheEntry.fromEnvelope(envelope, now, expires));
        } catch (CryptoException e) {
            metrics.crypto("encrypt", "failure", System.nanoTime() - start);
            metrics.cryptoError("encrypt", e.reason().name());
            if (FallbackHandler.eligible(e)) {
                cryptoUnavailable.set(true);
                metrics.fallback("encrypt");
                warnFallback("encrypt", e, fallback == CryptoFallback.PLAINTEXT ? "crypto service unavailable; storing the L2 entry as authenticated plaintext"
                        : "crypto service unavailable; not storing the L2 entry");
                return new Sealing.Unavailable();
            }
            LOG.atError().addKeyValue("error_code", e.reason().name()).addKeyValue("correlation_id", correlationId(e))
                    .log("cannot encrypt an L2 entry ({}); not storing it", e.getMessage());
            return new Sealing.Failed();
        } catch (RuntimeException | LinkageError e) {
            // A bug inside the client library must not stop decisions: the entry is just not stored.
            metrics.crypto("encrypt", "failure", System.nanoTime() - start);
            metrics.cryptoError("encrypt", "INTERNAL");
            LOG.atError().setCause(e).addKeyValue("correlation_id", RequestContext.current().correlationId())
                    .log("the crypto client failed unexpectedly while encrypting an L2 entry; not storing it");
            return new Sealing.Failed();
        }
    }

    private void warnFallback(String operation, CryptoException e, String message) {
        LOG.atWarn().addKeyValue("operation", operation).addKeyValue("error_code", e.reason().name())
                .addKeyValue("correlation_id", correlationId(e)).addKeyValue("fallback", fallback.name().toLowerCase(java.util.Locale.ROOT))
                .log(message);
    }

    private static String correlationId(CryptoException e) {
        return e.correlationId().isEmpty() ? RequestContext.current().correlationId() : e.correlationId();
    }
}
