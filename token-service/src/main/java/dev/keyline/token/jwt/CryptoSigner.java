package dev.keyline.token.jwt;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.SignResult;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.token.jwks.SigningKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs JWTs through the crypto service ({@link CryptoClient#sign}) with the version of the
 * signing key ring that {@link SigningKeys#signable()} names, naming that concrete version both in
 * the request and in the header. The service returns ECDSA signatures in DER; they are converted
 * to the JWS form (r ‖ s, RFC 7518 §3.4) here. When the client batches signs
 * ({@code CryptoClientConfig.Builder#signBatching}, {@code KEYLINE_TOKEN_SIGN_BATCH_LINGER}),
 * concurrent tokens share BatchSign RPCs; nothing changes here.
 *
 * <p>While a freshly rotated version waits out its publication delay ({@link SigningKeys}), the
 * previous version keeps signing, named explicitly (the service signs with an older version that
 * is ENABLED and at or above {@code min_decryption_version}); every JWKS a verifier may still
 * hold lists it. The <em>bridge</em> key — the fallback key, also in every JWKS — signs only when
 * no published version may sign during the gate: the versions before the new one were disabled or
 * fell below the minimum (an operator retiring a suspect key right after rotating). That is
 * counted in {@code keyline_token_rotation_bridge_signatures_total} and logged once per new version.
 * Without a bridge the new version then signs at once, with a warning
 * ({@code keyline_token_unpublished_signatures_total}): a verifier with a cached JWKS may meet an
 * unknown {@code kid} and has to refetch. Unavailability of the crypto service is not this class's
 * business: {@link JwtIssuer} signs with the fallback key then.
 */
public final class CryptoSigner implements KmsSigner {
    private static final Logger LOG = LoggerFactory.getLogger(CryptoSigner.class);

    private final CryptoClient client;
    private final SigningKeys keys;
    private final Optional<LocalSigner> bridge;
    private final Counter bridged;
    private final Counter ungated;
    private final AtomicReference<String> warnedUngated = new AtomicReference<>("");
    private final AtomicReference<String> warnedBridged = new AtomicReference<>("");
    /** The key id of the last signature, parsed: saves parsing the kid on every token. */
    private volatile KeyId lastId = KeyId.of("none", "none", 1);

    public CryptoSigner(CryptoClient client, SigningKeys keys, Optional<LocalSigner> bridge, MeterRegistry meters) {
        this.client = Objects.requireNonNull(client, "client");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.bridge = Objects.requireNonNull(bridge, "bridge");
        this.bridged = Counter.builder("keyline_token_rotation_bridge_signatures_total")
                .description("JWTs signed with the bridge (fallback) key while a new signing key version waits for its publication delay"
                        + " and no earlier version may sign any more (disabled or below min_decryption_version)")
                .register(meters);
        this.ungated = Counter.builder("keyline_token_unpublished_signatures_total")
                .description("JWTs signed with a key version before its publication delay passed (no earlier version and no bridge key)")
                .register(meters);
    }

    @Override
    public JwtKey currentKey() {
        // Nothing read yet (the service was unreachable at start): read now, or fail so the caller falls back.
        keys.ensureLoaded();
        // A primary that cannot verify (key or version disabled by an operator) is a refusal, not a gap to bridge.
        SigningKeys.Version primary = keys.primary().orElseThrow(() -> new CryptoException(Reason.KEY_STATE_INVALID,
                "the primary version of " + keys.ring().ringName() + " is not enabled"));
        Optional<SigningKeys.Version> ready = keys.signable();
        if (ready.isPresent()) {
            return new JwtKey(ready.get().kid(), ready.get().algorithm());
        }
        if (bridge.isPresent()) {
            bridged.increment();
            if (!warnedBridged.getAndSet(primary.kid()).equals(primary.kid())) {
                LOG.atWarn().addKeyValue("kid", primary.kid()).addKeyValue("signable_at", primary.signableAt().toString())
                        .addKeyValue("bridge_kid", bridge.get().currentKey().kid())
                        .log("no earlier signing key version may sign while the new one waits out its publication delay:"
                                + " signing with the bridge (fallback) key until then");
            }
            return bridge.get().currentKey();
        }
        ungated.increment();
        if (!warnedUngated.getAndSet(primary.kid()).equals(primary.kid())) {
            LOG.atWarn().addKeyValue("kid", primary.kid()).addKeyValue("signable_at", primary.signableAt().toString())
                    .log("signing with a key version before its publication delay passed (no earlier version may sign and no bridge"
                            + " key is configured): verifiers with a cached JWKS must refetch it");
        }
        return new JwtKey(primary.kid(), primary.algorithm());
    }

    @Override
    public byte[] sign(JwtKey key, byte[] signingInput) {
        if (bridge.isPresent() && bridge.get().currentKey().equals(key)) {
            return bridge.get().sign(key, signingInput);
        }
        KeyId id = lastId;
        if (!id.toString().equals(key.kid())) {
            id = KeyId.parse(key.kid());
            lastId = id;
        }
        // The concrete version: the service signs with exactly it (an older one during the gate) or refuses.
        SignResult r = client.sign(id, signingInput);
        if (r.fallback() || !r.keyId().equals(id) || r.algorithm() != key.algorithm()) {
            // The header already names the key: a signature from any other key would not verify.
            throw new CryptoException(Reason.KEY_STATE_INVALID, "asked " + id + " to sign but " + r.keyId() + " signed");
        }
        return r.jwsSignature();
    }

    /** Re-reads the key ring after the service refused a version (it was rotated, disabled or fell below the minimum). */
    void reload() {
        keys.refresh();
    }

    /** Whether {@code kid} is this signer's bridge key. */
    boolean isBridge(String kid) {
        return bridge.isPresent() && bridge.get().currentKey().kid().equals(kid);
    }

    @Override
    public String kind() {
        return "crypto";
    }

    @Override
    public String toString() {
        return "CryptoSigner[" + keys.ring().ringName() + "]";
    }
}
