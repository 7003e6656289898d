package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import java.time.Duration;
import java.util.List;

/**
 * The crypto service as its callers see it: blocking calls (run them on virtual threads), typed
 * results, and one exception type, {@link CryptoException}, whose reason is one of the contract's
 * error codes and whose {@link CryptoException#correlationId()} is the correlation id of the call
 * (see {@link RequestContext}).
 *
 * <p>Every call goes through, in order: the rate limiter (over the limit: {@code RATE_LIMITED},
 * no network), the key-metadata cache (sign, encrypt and data keys check the key is ENABLED
 * first: {@code KEY_STATE_INVALID}, no call to the service), retries with jittered exponential
 * backoff on transient failures (only for operations safe to repeat: never
 * {@link #generateKey} or {@link #rotateKey}), and the circuit breaker. A transient failure that
 * outlasts the retries, or an open circuit, is {@code CRYPTO_SERVICE_UNAVAILABLE}; with fallback
 * keys configured, {@link #encrypt}, {@link #sign} and {@link #generateDataKey} then use them
 * (see {@link FallbackHandler}). Every response is checked against the request and the key's
 * metadata: a different key or algorithm is {@code ALGORITHM_MISMATCH}, never a silent success.
 *
 * <p>Implementations are thread-safe. Build one with {@link CryptoClientFactory}.
 */
public interface CryptoClient extends AutoCloseable {

    /**
     * Encrypts with AES-256-GCM under the primary version of {@code keyId} (or the version it
     * names, which must be the primary). {@code aad} is authenticated, not encrypted: decryption
     * needs the same bytes.
     */
    EncryptResult encrypt(KeyId keyId, byte[] plaintext, byte[] aad);

    /** {@link #encrypt(KeyId, byte[], byte[])} under the configured encryption key. */
    EncryptResult encrypt(byte[] plaintext, byte[] aad);

    /**
     * Decrypts what {@link #encrypt} made. Results whose key id is in the fallback namespace are
     * decrypted locally with the fallback key; everything else by the service, never by a fallback.
     * A wrong AAD or a changed ciphertext is {@code DECRYPTION_FAILED}.
     */
    byte[] decrypt(EncryptResult sealed, byte[] aad);

    /**
     * Signs {@code data} with {@code keyId}: version 0 means the primary version, which must be
     * ENABLED; a named version (an older one, for example while a newer one waits to be published)
     * must be ENABLED and at or above the key's {@code min_decryption_version}, as the service
     * requires. The result names the concrete version that signed, which is exactly the named one
     * when a version was named (any other answer is {@code ALGORITHM_MISMATCH}). With
     * {@link CryptoClientConfig.Builder#signBatching} on, concurrent calls for the same key id
     * share one BatchSign RPC; every other guarantee here holds per call.
     */
    SignResult sign(KeyId keyId, byte[] data);

    /** {@link #sign(KeyId, byte[])} with the configured signing key. */
    SignResult sign(byte[] data);

    /**
     * Whether {@code signature} is a valid signature of {@code data} under {@code keyId} (name the
     * concrete version that signed; 0 means the primary). Asymmetric signatures are checked
     * locally with the cached public key of that version, so once it is known no call is made;
     * HMAC tags are checked by the service. A wrong or malformed signature is {@code false}; a
     * version that is disabled or below the key's minimum is {@code KEY_STATE_INVALID}. Never
     * answers {@code true} because the service was unavailable.
     */
    boolean verify(KeyId keyId, byte[] data, byte[] signature);

    /** Creates the key {@code namespace/id} with version 1. Not retried: it is not idempotent. */
    KeyMetadata generateKey(KeyId name, KeyAlgorithm algorithm, Duration rotationPeriod);

    /** Adds a new primary version. Not retried: a repeat would rotate twice. */
    KeyMetadata rotateKey(KeyId keyId);

    /** The key's metadata, from the cache while it is fresh (configured TTL). */
    KeyMetadata getKeyMetadata(KeyId keyId);

    /** The public key of a version (0 = primary) of an asymmetric key, cached per concrete version. */
    PublicKeyInfo getPublicKey(KeyId keyId);

    /**
     * A fresh AES-256 data key and its wrapped form under {@code keyId}, with {@code aad} bound to
     * the wrapping. With a fallback key configured and the service unavailable, the data key is
     * wrapped locally under the fallback key instead ({@link DataKey#fallback()}).
     */
    DataKey generateDataKey(KeyId keyId, byte[] aad);

    /** The public halves of the local fallback signing keys, to publish next to the service's keys. */
    List<PublicKeyInfo> fallbackPublicKeys();

    /** UP, DEGRADED or DOWN; see {@link HealthStatus}. Not rate limited; makes at most one call. */
    HealthStatus healthCheck();

    /** Releases the connection; calls after close fail. */
    @Override
    void close();
}
