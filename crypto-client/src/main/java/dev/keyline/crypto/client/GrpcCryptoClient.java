package dev.keyline.crypto.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.aead.AeadCiphertext;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.core.signing.VerifyingKey;
import dev.keyline.crypto.v1.BatchSignItem;
import dev.keyline.crypto.v1.BatchSignRequest;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateDataKeyRequest;
import dev.keyline.crypto.v1.GenerateDataKeyResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.GetPublicKeyRequest;
import dev.keyline.crypto.v1.RotateKeyRequest;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.SignResponse;
import dev.keyline.crypto.v1.VerifyRequest;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The gRPC {@link CryptoClient}. Each public method is one {@link #execute}: request context,
 * rate limit, the operation (metadata check, RPC through {@link Resilience}, response
 * validation), the fallback when one applies, then exactly one metric sample and, on failure,
 * exactly one structured log line.
 */
final class GrpcCryptoClient implements CryptoClient {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcCryptoClient.class);

    private final CryptoClientConfig config;
    private final ManagedChannel channel;
    private final Channel calls;
    private final Resilience resilience;
    private final KeyCache keys;
    private final ClientMetrics metrics;
    private final FallbackHandler fallback;
    private final FallbackKeys fallbackKeys;
    private final SecureRandom random;
    private final CryptoProviders providers;
    private final long timeoutNanos;
    /** Null when sign batching is off. */
    private final SignBatcher signBatcher;
    private volatile boolean closed;

    GrpcCryptoClient(CryptoClientConfig config, ManagedChannel channel, InstantSource clock, ClientMetrics metrics, SecureRandom random) {
        this.config = config;
        this.channel = channel;
        this.calls = ClientInterceptors.intercept(channel, new CallHeaders(config.authToken()));
        this.metrics = metrics;
        this.resilience = new Resilience(config, clock, metrics);
        this.keys = new KeyCache(config.keyMetadataTtl(), config.keyCacheMaxEntries(), clock, metrics);
        this.fallback = new FallbackHandler(metrics);
        this.fallbackKeys = config.fallbackKeys();
        this.random = random;
        this.providers = CryptoProviders.defaults();
        this.timeoutNanos = config.timeout().toNanos();
        this.signBatcher = config.signBatchLinger().isZero() ? null
                : new SignBatcher(config.signBatchMaxItems(), config.signBatchLinger(), new SignRpcs(), metrics);
    }

    // ---------------------------------------------------------------------------------- operations

    @Override
    public EncryptResult encrypt(KeyId keyId, byte[] plaintext, byte[] aad) {
        Objects.requireNonNull(keyId, "keyId");
        byte[] pt = plaintext.clone();
        byte[] ad = aad.clone();
        return execute("encrypt", keyId, call -> {
            KeyMetadata md = metadata(call, keyId);
            requireAlgorithm(md, KeyAlgorithm.AES_256_GCM);
            requireUsableForNew(md, keyId);
            EncryptResponse r = rpc(call, "Encrypt", true, s -> s.encrypt(EncryptRequest.newBuilder().setKeyId(Protos.keyId(keyId))
                    .setPlaintext(UnsafeByteOperations.unsafeWrap(pt)).setAad(UnsafeByteOperations.unsafeWrap(ad)).build()));
            return encryptResult(call, keyId, md, r);
        }, fallbackKeys.aead().map(aead -> (Function<Call, EncryptResult>) call -> {
            AeadCiphertext c = aead.encrypt(pt, ad, random);
            call.keyId = fallbackKeys.aeadKeyId();
            return new EncryptResult(fallbackKeys.aeadKeyId(), KeyAlgorithm.AES_256_GCM, c.ciphertext(), c.iv(), c.tag(), true);
        }).orElse(null));
    }

    @Override
    public EncryptResult encrypt(byte[] plaintext, byte[] aad) {
        return config.encryptionKeyId().map(id -> encrypt(id, plaintext, aad)).orElseGet(() -> notConfigured("encrypt", "encryptionKeyId"));
    }

    @Override
    public byte[] decrypt(EncryptResult sealed, byte[] aad) {
        Objects.requireNonNull(sealed, "sealed");
        byte[] ad = aad.clone();
        return execute("decrypt", sealed.keyId(), call -> {
            if (fallbackKeys.isFallbackKey(sealed.keyId())) {
                AesGcm aead = fallbackKeys.aead().filter(a -> sealed.keyId().equals(fallbackKeys.aeadKeyId()))
                        .orElseThrow(() -> new CryptoException(Reason.KEY_NOT_FOUND, "the ciphertext was made by the local fallback key "
                                + sealed.keyId() + ", which this client does not have"));
                return aead.decrypt(sealed.sealed(), ad);
            }
            return rpc(call, "Decrypt", true, s -> s.decrypt(DecryptRequest.newBuilder().setKeyId(Protos.keyId(sealed.keyId()))
                    .setCiphertext(ByteString.copyFrom(sealed.ciphertext())).setIv(ByteString.copyFrom(sealed.iv()))
                    .setTag(ByteString.copyFrom(sealed.tag())).setAad(ByteString.copyFrom(ad)).build())).getPlaintext().toByteArray();
        }, null);
    }

    @Override
    public SignResult sign(KeyId keyId, byte[] data) {
        Objects.requireNonNull(keyId, "keyId");
        byte[] d = data.clone();
        return execute("sign", keyId, call -> {
            KeyMetadata md = signableMetadata(call, keyId);
            SignResponse r = signBatcher != null
                    ? refusalsInvalidate(call, () -> signBatcher.sign(call, keyId, d))
                    : rpc(call, "Sign", true, s -> s.sign(SignRequest.newBuilder().setKeyId(Protos.keyId(keyId))
                            .setData(UnsafeByteOperations.unsafeWrap(d)).build()));
            // A request naming a version must be answered by exactly that version (T13).
            KeyId used = checkKeyId(keyId, Protos.keyId(r.getKeyId()));
            checkAlgorithm(md, Protos.algorithm(r.getAlgorithm()));
            keys.observe(used);
            call.keyId = used;
            return new SignResult(used, md.algorithm(), r.getSignature().toByteArray(), false);
        }, fallbackKeys.signer().map(signer -> (Function<Call, SignResult>) call -> {
            call.keyId = fallbackKeys.signingKeyId();
            return new SignResult(fallbackKeys.signingKeyId(), signer.algorithm(), signer.sign(d), true);
        }).orElse(null));
    }

    @Override
    public SignResult sign(byte[] data) {
        return config.signingKeyId().map(id -> sign(id, data)).orElseGet(() -> notConfigured("sign", "signingKeyId"));
    }

    @Override
    public boolean verify(KeyId keyId, byte[] data, byte[] signature) {
        Objects.requireNonNull(keyId, "keyId");
        byte[] d = data.clone();
        byte[] sig = signature.clone();
        return execute("verify", keyId, call -> {
            if (fallbackKeys.isFallbackKey(keyId)) {
                SigningKey signer = fallbackKeys.signer().filter(s -> keyId.equals(fallbackKeys.signingKeyId()))
                        .orElseThrow(() -> new CryptoException(Reason.KEY_NOT_FOUND, "the signature names the local fallback key " + keyId
                                + ", which this client does not have"));
                return signer.verifyingKey().verify(d, sig);
            }
            KeyMetadata md = metadata(call, keyId);
            if (keyId.version() > md.primaryVersion()) {
                // A version newer than we know: the key was rotated since we cached it.
                keys.invalidate(keyId);
                md = metadata(call, keyId);
                if (keyId.version() > md.primaryVersion()) {
                    throw new CryptoException(Reason.KEY_NOT_FOUND, "key " + md.ringName() + " has no version " + keyId.version());
                }
            }
            if (!md.algorithm().canSign()) {
                throw new CryptoException(Reason.ALGORITHM_MISMATCH, "key " + md.ringName() + " is " + md.algorithm() + " and cannot verify");
            }
            KeyId concrete = keyId.withVersion(keyId.version() == 0 ? md.primaryVersion() : keyId.version());
            call.keyId = concrete;
            if (!md.verifiableWith(concrete.version())) {
                throw new CryptoException(Reason.KEY_STATE_INVALID, "version " + concrete.version() + " of " + md.ringName()
                        + " is not enabled for verification (key " + md.state() + ", min version " + md.minDecryptionVersion() + ")");
            }
            if (md.algorithm().isAsymmetric()) {
                return publicKey(call, concrete, md).key().verify(d, sig);
            }
            // HMAC: the key is secret, only the service can check the tag.
            return rpc(call, "Verify", true, s -> s.verify(VerifyRequest.newBuilder().setKeyId(Protos.keyId(concrete))
                    .setData(ByteString.copyFrom(d)).setSignature(ByteString.copyFrom(sig)).build())).getValid();
        }, null);
    }

    @Override
    public KeyMetadata generateKey(KeyId name, KeyAlgorithm algorithm, Duration rotationPeriod) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(rotationPeriod, "rotationPeriod");
        return execute("generate_key", name, call -> {
            if (fallbackKeys.isFallbackKey(name)) {
                throw new CryptoException(Reason.INVALID_ARGUMENT, "namespace " + name.namespace() + " is reserved for the client's fallback keys");
            }
            var r = rpc(call, "GenerateKey", false, s -> s.generateKey(GenerateKeyRequest.newBuilder().setNamespace(name.namespace())
                    .setId(name.id()).setAlgorithm(Protos.algorithm(algorithm)).setRotationPeriod(Protos.duration(rotationPeriod)).build()));
            KeyMetadata md = Protos.metadata(r);
            checkKeyId(name.unversioned(), md.keyId());
            checkAlgorithm(algorithm, md.algorithm());
            keys.put(md);
            call.keyId = md.keyId();
            return md;
        }, null);
    }

    @Override
    public KeyMetadata rotateKey(KeyId keyId) {
        Objects.requireNonNull(keyId, "keyId");
        return execute("rotate_key", keyId, call -> {
            var r = rpc(call, "RotateKey", false, s -> s.rotateKey(RotateKeyRequest.newBuilder().setKeyId(Protos.keyId(keyId.unversioned())).build()));
            KeyMetadata md = Protos.metadata(r);
            checkKeyId(keyId.unversioned(), md.keyId());
            keys.put(md);
            call.keyId = md.keyId();
            return md;
        }, null);
    }

    @Override
    public KeyMetadata getKeyMetadata(KeyId keyId) {
        Objects.requireNonNull(keyId, "keyId");
        return execute("get_key_metadata", keyId, call -> metadata(call, keyId), null);
    }

    @Override
    public PublicKeyInfo getPublicKey(KeyId keyId) {
        Objects.requireNonNull(keyId, "keyId");
        return execute("get_public_key", keyId, call -> {
            if (fallbackKeys.isFallbackKey(keyId)) {
                return fallbackPublicKeys().stream().filter(p -> p.keyId().equals(keyId)).findFirst()
                        .orElseThrow(() -> new CryptoException(Reason.KEY_NOT_FOUND, "this client has no fallback key " + keyId));
            }
            KeyMetadata md = metadata(call, keyId);
            if (!md.algorithm().isAsymmetric()) {
                throw new CryptoException(Reason.ALGORITHM_MISMATCH, "key " + md.ringName() + " is " + md.algorithm() + " and has no public key");
            }
            if (keyId.version() > md.primaryVersion()) {
                keys.invalidate(keyId);
                md = metadata(call, keyId);
            }
            KeyId concrete = keyId.withVersion(keyId.version() == 0 ? md.primaryVersion() : keyId.version());
            call.keyId = concrete;
            return publicKey(call, concrete, md).info();
        }, null);
    }

    @Override
    public DataKey generateDataKey(KeyId keyId, byte[] aad) {
        Objects.requireNonNull(keyId, "keyId");
        byte[] ad = aad.clone();
        return execute("generate_data_key", keyId, call -> {
            KeyMetadata md = metadata(call, keyId);
            requireAlgorithm(md, KeyAlgorithm.AES_256_GCM);
            requireUsableForNew(md, keyId);
            GenerateDataKeyResponse r = rpc(call, "GenerateDataKey", true, s -> s.generateDataKey(GenerateDataKeyRequest.newBuilder()
                    .setKeyId(Protos.keyId(keyId)).setAad(ByteString.copyFrom(ad)).build()));
            EncryptResult wrapped = encryptResult(call, keyId, md, r.getWrappedKey());
            byte[] plain = r.getPlaintextKey().toByteArray();
            try {
                if (plain.length != AesGcm.KEY_BYTES) {
                    throw new CryptoException(Reason.ALGORITHM_MISMATCH, "the service returned a data key of " + plain.length + " bytes, not 32");
                }
                return new DataKey(SecretBytes.copyOf(plain), wrapped);
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        }, fallbackKeys.aead().map(aead -> (Function<Call, DataKey>) call -> {
            byte[] plain = new byte[AesGcm.KEY_BYTES];
            random.nextBytes(plain);
            AeadCiphertext w = aead.encrypt(plain, ad, random);
            call.keyId = fallbackKeys.aeadKeyId();
            return new DataKey(SecretBytes.wrap(plain),
                    new EncryptResult(fallbackKeys.aeadKeyId(), KeyAlgorithm.AES_256_GCM, w.ciphertext(), w.iv(), w.tag(), true));
        }).orElse(null));
    }

    @Override
    public List<PublicKeyInfo> fallbackPublicKeys() {
        return fallbackKeys.signer().map(s -> {
            VerifyingKey pub = s.verifyingKey();
            KeyId id = fallbackKeys.signingKeyId();
            return List.of(new PublicKeyInfo(id, s.algorithm(), pub.pem(), pub.jwkJson(id.toString())));
        }).orElse(List.of());
    }

    @Override
    public HealthStatus healthCheck() {
        HealthStatus.CircuitState before = circuitState();
        if (closed) {
            return new HealthStatus(HealthStatus.Status.DOWN, before, "client is closed");
        }
        KeyId probe = config.encryptionKeyId().or(config::signingKeyId).orElse(null);
        Call call = new Call("health_check", probe, RequestContext.current().withCorrelationIdOrNew());
        long start = System.nanoTime();
        HealthStatus result;
        try {
            KeyId target = probe == null ? KeyId.of(config.fallbackNamespace(), "health-probe") : probe.unversioned();
            var r = resilience.execute(call, "GetKeyMetadata", false, () -> stub(call).getKeyMetadata(
                    GetKeyMetadataRequest.newBuilder().setKeyId(Protos.keyId(target)).build()));
            KeyMetadata md = Protos.metadata(r);
            keys.put(md);
            result = md.primaryUsable() ? new HealthStatus(HealthStatus.Status.UP, circuitState(), "crypto service answers")
                    : new HealthStatus(HealthStatus.Status.DOWN, circuitState(), "key " + md.ringName() + " is " + md.state()
                            + " (primary version " + md.primaryVersion() + ")");
        } catch (CryptoException e) {
            if (e.reason() == Reason.CRYPTO_SERVICE_UNAVAILABLE) {
                boolean canGoOn = config.callerHasFallback() || fallbackCoversFeatures();
                result = new HealthStatus(canGoOn ? HealthStatus.Status.DEGRADED : HealthStatus.Status.DOWN, circuitState(),
                        e.getMessage() + (canGoOn ? "; callers go on with the fallback" : "; no fallback configured"));
            } else if (probe == null && (e.reason() == Reason.KEY_NOT_FOUND || e.reason() == Reason.PERMISSION_DENIED)) {
                // No key configured: any answer from the service shows it is up.
                result = new HealthStatus(HealthStatus.Status.UP, circuitState(), "crypto service answers");
            } else {
                result = new HealthStatus(HealthStatus.Status.DOWN, circuitState(), e.reason() + ": " + e.getMessage());
            }
        }
        metrics.request("health_check", result.status().name().toLowerCase(java.util.Locale.ROOT), "none", System.nanoTime() - start);
        return result;
    }

    @Override
    public void close() {
        closed = true;
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "GrpcCryptoClient[" + config.clientName() + ", " + config.endpoints() + "]";
    }

    // ------------------------------------------------------------------------------ the call frame

    /**
     * Runs {@code body} as one call of the API: context, rate limit, optional fallback, one metric
     * sample, and on failure one log line and a CryptoException carrying the correlation id.
     */
    private <T> T execute(String operation, KeyId keyId, Function<Call, T> body, Function<Call, T> fallbackBody) {
        Call call = new Call(operation, keyId, RequestContext.current().withCorrelationIdOrNew());
        long start = System.nanoTime();
        try {
            if (closed) {
                throw new CryptoException(Reason.INVALID_ARGUMENT, "the crypto client is closed");
            }
            resilience.acquirePermit(call);
            T result = fallbackBody == null ? body.apply(call)
                    : fallback.withFallback(operation, call.correlationId(), call.context.traceId(), () -> body.apply(call), () -> {
                        call.usedFallback = true;
                        return fallbackBody.apply(call);
                    });
            metrics.request(operation, call.usedFallback ? "fallback" : "success", "none", System.nanoTime() - start);
            return result;
        } catch (CryptoException e) {
            throw failed(call, e, start);
        } catch (RuntimeException e) {
            throw failed(call, new CryptoException(Reason.INTERNAL, "unexpected failure in the crypto client: " + e.getClass().getSimpleName(),
                    call.correlationId(), e), start);
        }
    }

    private CryptoException failed(Call call, CryptoException e, long start) {
        CryptoException out = e.correlationId().equals(call.correlationId()) ? e : e.withCorrelationId(call.correlationId());
        long nanos = System.nanoTime() - start;
        metrics.request(call.operation, "error", out.reason().name(), nanos);
        LOG.atLevel(levelOf(out.reason()))
                .addKeyValue("operation", call.operation)
                .addKeyValue("key_id", call.keyId == null ? "" : call.keyId.toString())
                .addKeyValue("error_code", out.reason().name())
                .addKeyValue("correlation_id", call.correlationId())
                .addKeyValue("trace_id", call.context.traceId())
                .addKeyValue("duration_ms", TimeUnit.NANOSECONDS.toMillis(nanos))
                .addKeyValue("attempt", call.attempts)
                .log("crypto {} failed: {}", call.operation, out.getMessage());
        return out;
    }

    private static Level levelOf(Reason r) {
        return switch (r) {
            case CRYPTO_SERVICE_UNAVAILABLE, INTERNAL, ALGORITHM_MISMATCH, ENCRYPTION_FAILED, SIGNATURE_FAILED, UNAUTHENTICATED,
                    INVALID_CONFIG -> Level.ERROR;
            case DECRYPTION_FAILED, SIGNATURE_INVALID, KEY_NOT_FOUND, KEY_STATE_INVALID, AAD_MISMATCH, RATE_LIMITED, PERMISSION_DENIED,
                    INVALID_ARGUMENT -> Level.WARN;
        };
    }

    private <T> T rpc(Call call, String rpcName, boolean retryable, Function<CryptoServiceGrpc.CryptoServiceBlockingStub, T> body) {
        return refusalsInvalidate(call, () -> resilience.execute(call, rpcName, retryable, () -> body.apply(stub(call))));
    }

    /** The {@link SignBatcher}'s RPCs: retried and guarded by the breaker like any call safe to repeat. */
    private final class SignRpcs implements SignBatcher.Transport {
        @Override
        public SignResponse sign(Call call, SignRequest request) {
            return resilience.execute(call, "Sign", true, () -> stub(call).sign(request));
        }

        @Override
        public List<BatchSignItem> batchSign(Call batchCall, BatchSignRequest request) {
            return resilience.execute(batchCall, "BatchSign", true, () -> stub(batchCall).batchSign(request)).getItemsList();
        }
    }

    /** {@code body}'s result; when the service refuses the key (missing, not usable, another algorithm), drops its cached metadata. */
    private <T> T refusalsInvalidate(Call call, Supplier<T> body) {
        try {
            return body.get();
        } catch (CryptoException e) {
            if (call.keyId != null && (e.reason() == Reason.KEY_NOT_FOUND || e.reason() == Reason.KEY_STATE_INVALID
                    || e.reason() == Reason.ALGORITHM_MISMATCH)) {
                // The service disagrees with what we cached about the key: read it again next time.
                keys.invalidate(call.keyId);
            }
            throw e;
        }
    }

    private CryptoServiceGrpc.CryptoServiceBlockingStub stub(Call call) {
        return CryptoServiceGrpc.newBlockingStub(calls).withOption(CallHeaders.CONTEXT, call.context)
                .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    // ------------------------------------------------------------------------- keys and validation

    private KeyMetadata metadata(Call call, KeyId keyId) {
        if (fallbackKeys.isFallbackKey(keyId)) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "namespace " + keyId.namespace() + " is reserved for the client's fallback keys");
        }
        return keys.metadata(keyId, call.correlationId(), () -> {
            var r = rpc(call, "GetKeyMetadata", true, s -> s.getKeyMetadata(GetKeyMetadataRequest.newBuilder()
                    .setKeyId(Protos.keyId(keyId.unversioned())).build()));
            KeyMetadata md = Protos.metadata(r);
            checkKeyId(keyId.unversioned(), md.keyId());
            return md;
        });
    }

    private KeyCache.CachedPublicKey publicKey(Call call, KeyId concrete, KeyMetadata md) {
        return keys.publicKey(concrete, call.correlationId(), () -> {
            var r = rpc(call, "GetPublicKey", true, s -> s.getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(Protos.keyId(concrete)).build()));
            KeyId named = checkKeyId(concrete, Protos.keyId(r.getKeyId()));
            KeyAlgorithm alg = Protos.algorithm(r.getAlgorithm());
            checkAlgorithm(md, alg);
            VerifyingKey key;
            try {
                key = VerifyingKey.fromPem(alg, r.getPem(), providers);
            } catch (CryptoException e) {
                throw new CryptoException(Reason.ALGORITHM_MISMATCH, "the public key of " + named + " is not a " + alg + " key");
            }
            return new KeyCache.CachedPublicKey(new PublicKeyInfo(named, alg, r.getPem(), r.getJwkJson()), key);
        });
    }

    private EncryptResult encryptResult(Call call, KeyId requested, KeyMetadata md, EncryptResponse r) {
        KeyId used = checkKeyId(requested, Protos.keyId(r.getKeyId()));
        checkAlgorithm(md, Protos.algorithm(r.getAlgorithm()));
        keys.observe(used);
        call.keyId = used;
        return new EncryptResult(used, KeyAlgorithm.AES_256_GCM, r.getCiphertext().toByteArray(), r.getIv().toByteArray(),
                r.getTag().toByteArray(), false);
    }

    /** The key a response names must be the one asked for: same key, and the same version when one was named. */
    private static KeyId checkKeyId(KeyId requested, KeyId named) {
        if (!named.sameRing(requested)) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "asked for key " + requested.ringName() + " but the response names " + named);
        }
        if (named.version() < 1) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "the response for " + requested.ringName() + " names no concrete version");
        }
        if (requested.version() != 0 && named.version() != requested.version()) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "asked for " + requested + " but the response names " + named);
        }
        return named;
    }

    private static void checkAlgorithm(KeyMetadata md, KeyAlgorithm named) {
        if (named != md.algorithm()) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "key " + md.ringName() + " is " + md.algorithm()
                    + " but the response names " + named);
        }
    }

    private static void checkAlgorithm(KeyAlgorithm expected, KeyAlgorithm named) {
        if (named != expected) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "expected " + expected + " but the response names " + named);
        }
    }

    private static void requireAlgorithm(KeyMetadata md, KeyAlgorithm expected) {
        if (md.algorithm() != expected) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "key " + md.ringName() + " is " + md.algorithm() + ", not " + expected);
        }
    }

    /**
     * The metadata of {@code keyId}'s key, once it shows (cached) that {@code keyId} may sign, by
     * the service's rule: version 0 means the primary, which must be ENABLED in an ENABLED key; a
     * named version must be ENABLED, in an ENABLED key, and at or above min_decryption_version. A
     * version above the cached primary re-reads the metadata once (the key may have been rotated
     * since it was cached).
     */
    private KeyMetadata signableMetadata(Call call, KeyId keyId) {
        KeyMetadata md = metadata(call, keyId);
        if (keyId.version() > md.primaryVersion()) {
            keys.invalidate(keyId);
            md = metadata(call, keyId);
            if (keyId.version() > md.primaryVersion()) {
                throw new CryptoException(Reason.KEY_NOT_FOUND, "key " + md.ringName() + " has no version " + keyId.version());
            }
        }
        if (!md.algorithm().canSign()) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "key " + md.ringName() + " is " + md.algorithm() + " and cannot sign");
        }
        if (keyId.version() == 0) {
            requireUsableForNew(md, keyId);
        } else if (!md.verifiableWith(keyId.version())) {
            int v = keyId.version();
            throw new CryptoException(Reason.KEY_STATE_INVALID, "version " + v + " of " + md.ringName() + " cannot sign (key " + md.state()
                    + ", version " + md.version(v).map(i -> i.state().name()).orElse("missing") + ", min version " + md.minDecryptionVersion() + ")");
        }
        return md;
    }

    /** Encrypt and data keys use the primary version, which must be ENABLED (checked on cached metadata). */
    private static void requireUsableForNew(KeyMetadata md, KeyId requested) {
        if (requested.version() != 0 && requested.version() != md.primaryVersion()) {
            throw new CryptoException(Reason.KEY_STATE_INVALID, "only the primary version " + md.primaryVersion() + " of " + md.ringName()
                    + " makes new ciphertexts and signatures, not version " + requested.version());
        }
        if (!md.primaryUsable()) {
            throw new CryptoException(Reason.KEY_STATE_INVALID, "key " + md.ringName() + " is " + md.state() + " (primary version "
                    + md.primaryVersion() + " " + md.version(md.primaryVersion()).map(v -> v.state().name()).orElse("missing") + ")");
        }
    }

    private <T> T notConfigured(String operation, String field) {
        return execute(operation, null, call -> {
            throw new CryptoException(Reason.INVALID_CONFIG, field + " is not configured");
        }, null);
    }

    private boolean fallbackCoversFeatures() {
        if (!fallbackKeys.any()) {
            return false;
        }
        return (!config.cacheEncryption() || fallbackKeys.aead().isPresent()) && (!config.signing() || fallbackKeys.signer().isPresent());
    }

    HealthStatus.CircuitState circuitState() {
        CircuitBreaker.State s = resilience.breaker().getState();
        return switch (s) {
            case OPEN, FORCED_OPEN -> HealthStatus.CircuitState.OPEN;
            case HALF_OPEN -> HealthStatus.CircuitState.HALF_OPEN;
            default -> HealthStatus.CircuitState.CLOSED;
        };
    }
}
