package dev.keyline.iam.signing;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.client.KeyMetadata;
import dev.keyline.crypto.client.PublicKeyInfo;
import dev.keyline.crypto.client.RequestContext;
import dev.keyline.crypto.client.SignResult;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.VerifyingKey;
import dev.keyline.iam.IamException;
import dev.keyline.iam.metrics.IamMetrics;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs decisions with ECDSA P-256 through the crypto service and verifies them.
 *
 * <p><b>Signing.</b> The crypto service signs {@link DecisionClaims#canonicalPayload()} with the
 * primary version of the decision-signing key (default {@code iam/decision-signing}) and names the
 * version it used. When it cannot (unavailable, key missing or disabled), {@link #sign} returns
 * empty and the decision goes out unsigned, as the seed says: counted in
 * {@code keyline_iam_crypto_sign_total{status="failure"}}, and as a fallback when the service was
 * unavailable. A signature made by a client's local fallback key is not used (it would not verify
 * against the decision-signing key's JWKS).
 *
 * <p><b>Verification</b> accepts only versions of the decision-signing key (never another key the
 * service holds), checks the version may still verify (not disabled, not below the minimum), and
 * checks the signature locally with the public key of exactly that version, cached here forever
 * (a version's public key never changes). Versions made before a rotation keep verifying. When the
 * public key is not cached and cannot be fetched, the client's {@code verify} is tried, which asks
 * the service; when that fails too the answer is {@code CRYPTO_SERVICE_UNAVAILABLE}, never valid.
 */
public final class DecisionSigner {
    private static final Logger LOG = LoggerFactory.getLogger(DecisionSigner.class);

    private final CryptoClient client;
    private final KeyId signingKey;
    private final IamMetrics metrics;
    private final InstantSource clock;
    private final CryptoProviders providers = CryptoProviders.defaults();
    private final Cache<KeyId, VerifyingKey> publicKeys = Caffeine.newBuilder().maximumSize(1024).build();
    private final AtomicReference<List<String>> lastJwks = new AtomicReference<>();

    public DecisionSigner(CryptoClient client, KeyId signingKey, IamMetrics metrics) {
        this(client, signingKey, metrics, InstantSource.system());
    }

    public DecisionSigner(CryptoClient client, KeyId signingKey, IamMetrics metrics, InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.client = Objects.requireNonNull(client, "client");
        this.signingKey = Objects.requireNonNull(signingKey, "signingKey").unversioned();
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** The decision-signing key ({@code namespace/id}, no version). */
    public KeyId signingKey() {
        return signingKey;
    }

    /** The signed claims, or empty when the crypto service could not sign (counted and logged). */
    public Optional<SignedDecision> sign(SignedClaims claims) {
        return signPayload(claims.canonicalPayload()).map(r -> new SignedDecision(claims, r.signature(), r.keyId(), Optional.empty()));
    }

    /**
     * Signs {@code claims} with one signature (one Sign call to the crypto service): over the batch
     * payload of the Merkle tree of their canonical payloads ({@link BatchProof}). Each returned
     * decision carries its proof and verifies on its own. Empty when the crypto service could not
     * sign; a batch of one is signed as a single decision.
     */
    public Optional<List<SignedDecision>> signBatch(List<? extends SignedClaims> claims) {
        if (claims.isEmpty()) {
            return Optional.of(List.of());
        }
        if (claims.size() == 1) {
            return sign(claims.get(0)).map(List::of);
        }
        List<byte[]> leaves = new ArrayList<>(claims.size());
        for (SignedClaims c : claims) {
            leaves.add(BatchProof.leaf(c.canonicalPayload()));
        }
        byte[] root = BatchProof.treeHash(leaves, 0, leaves.size());
        return signPayload(BatchProof.batchPayload(root, leaves.size())).map(r -> {
            List<SignedDecision> out = new ArrayList<>(claims.size());
            for (int i = 0; i < claims.size(); i++) {
                BatchProof proof = new BatchProof(i, leaves.size(), BatchProof.auditPath(i, leaves, 0, leaves.size()));
                out.add(new SignedDecision(claims.get(i), r.signature(), r.keyId(), Optional.of(proof)));
            }
            return out;
        });
    }

    private Optional<SignResult> signPayload(byte[] payload) {
        long start = System.nanoTime();
        try {
            SignResult r = client.sign(signingKey, payload);
            if (r.fallback() || !r.keyId().sameRing(signingKey) || r.algorithm() != KeyAlgorithm.ECDSA_P256_SHA256) {
                metrics.crypto("sign", "failure", System.nanoTime() - start);
                metrics.fallback("sign");
                LOG.atWarn().addKeyValue("key_id", r.keyId().toString()).addKeyValue("correlation_id", RequestContext.current().correlationId())
                        .log("the signature was not made by the decision-signing key (client fallback?); returning the decision unsigned");
                return Optional.empty();
            }
            metrics.crypto("sign", "success", System.nanoTime() - start);
            if (publicKeys.getIfPresent(r.keyId()) == null) {
                // Once per version: decisions it signed then verify locally, even while the service is away.
                cachePublicKey(r.keyId());
            }
            return Optional.of(r);
        } catch (CryptoException e) {
            metrics.crypto("sign", "failure", System.nanoTime() - start);
            metrics.cryptoError("sign", e.reason().name());
            String cid = e.correlationId().isEmpty() ? RequestContext.current().correlationId() : e.correlationId();
            if (FallbackHandler.eligible(e)) {
                metrics.fallback("sign");
                LOG.atWarn().addKeyValue("operation", "sign").addKeyValue("error_code", e.reason().name()).addKeyValue("correlation_id", cid)
                        .addKeyValue("fallback", "unsigned").log("crypto service unavailable; returning the decision unsigned");
            } else {
                LOG.atError().addKeyValue("operation", "sign").addKeyValue("error_code", e.reason().name()).addKeyValue("correlation_id", cid)
                        .log("cannot sign the decision with {} ({}); returning it unsigned", signingKey, e.getMessage());
            }
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            // A failure inside the client library is a bug there, but signing is optional: the decision
            // still goes out, unsigned. (Seen once under JDK 25: IncompatibleClassChangeError from
            // Resilience4j's circuit breaker during its first transition to OPEN.)
            metrics.crypto("sign", "failure", System.nanoTime() - start);
            metrics.cryptoError("sign", "INTERNAL");
            LOG.atError().setCause(e).addKeyValue("operation", "sign").addKeyValue("correlation_id", RequestContext.current().correlationId())
                    .log("the crypto client failed unexpectedly while signing; returning the decision unsigned");
            return Optional.empty();
        }
    }

    /** Verifies a signature given as the HTTP API carries it: standard base64 DER, and key id text. */
    public Verification verify(SignedClaims claims, String signatureBase64, String keyIdText, Optional<BatchProof> batch) {
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(signatureBase64);
        } catch (IllegalArgumentException e) {
            return invalid("SIGNATURE_INVALID", "the signature is not base64");
        }
        KeyId keyId;
        try {
            keyId = KeyId.parse(keyIdText);
        } catch (CryptoException | IllegalArgumentException e) {
            return invalid("SIGNATURE_INVALID", "key_id is not namespace/id/version");
        }
        return verify(claims, signature, keyId, batch);
    }

    /** {@link #verify(SignedClaims, String, String, Optional)} of a decision signed alone. */
    public Verification verify(SignedClaims claims, String signatureBase64, String keyIdText) {
        return verify(claims, signatureBase64, keyIdText, Optional.empty());
    }

    /** {@link #verify(SignedClaims, byte[], KeyId, Optional)} of a decision signed alone. */
    public Verification verify(SignedClaims claims, byte[] signature, KeyId keyId) {
        return verify(claims, signature, keyId, Optional.empty());
    }

    /**
     * Whether {@code signature} is this service's signature of exactly {@code claims} by {@code keyId}
     * (alone, or as item {@code batch} of a batch), and, for format version 2, whether the decision is
     * still valid ({@code exp} in the future: else {@code DECISION_EXPIRED}).
     */
    public Verification verify(SignedClaims claims, byte[] signature, KeyId keyId, Optional<BatchProof> batch) {
        long start = System.nanoTime();
        Verification v;
        byte[] payload = claims.canonicalPayload();
        if (batch.isPresent()) {
            if (!(claims instanceof BoundDecisionClaims)) {
                v = invalid("SIGNATURE_INVALID", "only format version 2 decisions are signed in batches");
            } else {
                Optional<byte[]> root = batch.get().root(payload);
                v = root.isEmpty() ? invalid("SIGNATURE_INVALID", "the batch path does not fit its index and size")
                        : check(BatchProof.batchPayload(root.get(), batch.get().size()), signature, keyId);
            }
        } else {
            v = check(payload, signature, keyId);
        }
        if (v.valid() && claims instanceof BoundDecisionClaims b && b.expiresAt() <= clock.instant().getEpochSecond()) {
            v = invalid("DECISION_EXPIRED", "the decision expired at " + b.expiresAt() + " (Unix seconds)");
        }
        String status = switch (v) {
            case Verification.Valid ok -> "success";
            case Verification.Invalid bad -> bad.code().equals("CRYPTO_SERVICE_UNAVAILABLE") ? "failure" : "invalid";
        };
        metrics.crypto("verify", status, System.nanoTime() - start);
        return v;
    }

    private Verification check(byte[] payload, byte[] signature, KeyId keyId) {
        if (!keyId.sameRing(signingKey) || keyId.version() < 1) {
            return invalid("SIGNATURE_INVALID", "key_id is not a version of " + signingKey.ringName());
        }
        try {
            KeyMetadata md = client.getKeyMetadata(signingKey);
            // A version newer than the cached metadata was made by a rotation since; the fetch below refreshes.
            if (keyId.version() <= md.primaryVersion() && md.version(keyId.version()).isEmpty()) {
                return invalid("SIGNATURE_INVALID", "the key has no version " + keyId.version());
            }
            if (keyId.version() <= md.primaryVersion() && !md.verifiableWith(keyId.version())) {
                return invalid("KEY_STATE_INVALID", "version " + keyId.version() + " may no longer verify");
            }
        } catch (CryptoException e) {
            if (!FallbackHandler.eligible(e)) {
                return fromError(e);
            }
            // Unavailable: go on with the public key we have, if we have it.
        }
        VerifyingKey key = publicKeys.getIfPresent(keyId);
        if (key == null) {
            try {
                PublicKeyInfo info = client.getPublicKey(keyId);
                if (!info.keyId().equals(keyId) || info.algorithm() != KeyAlgorithm.ECDSA_P256_SHA256) {
                    return invalid("SIGNATURE_INVALID", "the key is not an ECDSA P-256 key");
                }
                key = VerifyingKey.fromPem(info.algorithm(), info.pem(), providers);
                publicKeys.put(keyId, key);
            } catch (CryptoException e) {
                if (!FallbackHandler.eligible(e)) {
                    return fromError(e);
                }
                return remoteVerify(payload, signature, keyId);
            }
        }
        return key.verify(payload, signature) ? new Verification.Valid(keyId) : invalid("SIGNATURE_INVALID", "the signature does not match");
    }

    private void cachePublicKey(KeyId keyId) {
        try {
            PublicKeyInfo info = client.getPublicKey(keyId);
            if (info.keyId().equals(keyId) && info.algorithm() == KeyAlgorithm.ECDSA_P256_SHA256) {
                publicKeys.put(keyId, VerifyingKey.fromPem(info.algorithm(), info.pem(), providers));
            }
        } catch (CryptoException e) {
            // Not needed to answer: verification fetches it again when asked.
            metrics.cryptoError("get_public_key", e.reason().name());
            LOG.atWarn().addKeyValue("key_id", keyId.toString()).addKeyValue("error_code", e.reason().name())
                    .log("could not cache the public key of the version that just signed; verification will fetch it");
        }
    }

    /** The public key could not be fetched: let the client (and through it the service) verify. */
    private Verification remoteVerify(byte[] payload, byte[] signature, KeyId keyId) {
        try {
            return client.verify(keyId, payload, signature) ? new Verification.Valid(keyId) : invalid("SIGNATURE_INVALID",
                    "the signature does not match");
        } catch (CryptoException e) {
            if (FallbackHandler.eligible(e)) {
                metrics.cryptoError("verify", e.reason().name());
                return invalid("CRYPTO_SERVICE_UNAVAILABLE", "the public key of " + keyId + " is not known here and the crypto service is"
                        + " unavailable");
            }
            return fromError(e);
        }
    }

    private Verification fromError(CryptoException e) {
        metrics.cryptoError("verify", e.reason().name());
        return switch (e.reason()) {
            case KEY_STATE_INVALID -> invalid("KEY_STATE_INVALID", "the key version may no longer verify");
            case KEY_NOT_FOUND, ALGORITHM_MISMATCH, INVALID_ARGUMENT, SIGNATURE_INVALID -> invalid("SIGNATURE_INVALID",
                    "unknown key version or not a signing key");
            // The client's detail (endpoints, causes) is for the log: the HTTP layer answers a generic message and logs this one.
            default -> throw new IamException(IamException.Reason.UNAVAILABLE, "cannot verify now: the crypto service is unavailable ("
                    + e.reason() + "): " + e.getMessage(), e);
        };
    }

    private static Verification.Invalid invalid(String code, String detail) {
        return new Verification.Invalid(code, detail);
    }

    /**
     * The public JWKs ({@code kid}, {@code alg}, {@code use=sig}) of every version of the
     * decision-signing key that may still verify, oldest first. When the service is unavailable, the
     * last list served; fails with {@code UNAVAILABLE} when there is none.
     */
    public List<String> jwks() {
        try {
            KeyMetadata md = client.getKeyMetadata(signingKey);
            List<String> out = new ArrayList<>();
            for (KeyMetadata.VersionInfo v : md.versions()) {
                if (md.verifiableWith(v.version())) {
                    out.add(client.getPublicKey(signingKey.withVersion(v.version())).jwkJson());
                }
            }
            List<String> result = List.copyOf(out);
            lastJwks.set(result);
            return result;
        } catch (CryptoException e) {
            List<String> last = lastJwks.get();
            if (FallbackHandler.eligible(e) && last != null) {
                return last;
            }
            throw new IamException(IamException.Reason.UNAVAILABLE, "cannot list the decision-signing keys now (" + e.reason() + "): "
                    + e.getMessage(), e);
        }
    }
}
