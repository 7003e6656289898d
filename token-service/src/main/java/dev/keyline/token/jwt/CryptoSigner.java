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
 * Signs JWTs through the crypto service ({@link CryptoClient#sign}) with the signing key ring's
 * primary version, naming that concrete version in the header. The service returns ECDSA
 * signatures in DER; they are converted to the JWS form (r ‖ s, RFC 7518 §3.4) here.
 *
 * <p>While a freshly rotated version waits out its publication delay ({@link SigningKeys}) the
 * service cannot sign with the previous version (it signs only with the primary), so this signer
 * uses its <em>bridge</em> key — the fallback key, already in every JWKS — until the new version
 * may sign. Without a bridge it signs with the new version at once and says so in a warning: a
 * verifier with a cached JWKS may then meet an unknown {@code kid} and has to refetch.
 */
public final class CryptoSigner implements KmsSigner {
    private static final Logger LOG = LoggerFactory.getLogger(CryptoSigner.class);

    private final CryptoClient client;
    private final SigningKeys keys;
    private final Optional<LocalSigner> bridge;
    private final Counter bridged;
    private final Counter ungated;
    private final AtomicReference<String> warnedUngated = new AtomicReference<>("");
    /** The key id of the last signature, parsed: saves parsing the kid on every token. */
    private volatile KeyId lastId = KeyId.of("none", "none", 1);

    public CryptoSigner(CryptoClient client, SigningKeys keys, Optional<LocalSigner> bridge, MeterRegistry meters) {
        this.client = Objects.requireNonNull(client, "client");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.bridge = Objects.requireNonNull(bridge, "bridge");
        this.bridged = Counter.builder("keyline_token_rotation_bridge_signatures_total")
                .description("JWTs signed with the bridge (fallback) key while a new signing key version waits for its publication delay")
                .register(meters);
        this.ungated = Counter.builder("keyline_token_unpublished_signatures_total")
                .description("JWTs signed with a key version before its publication delay passed (no bridge key configured)")
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
            return bridge.get().currentKey();
        }
        ungated.increment();
        if (!warnedUngated.getAndSet(primary.kid()).equals(primary.kid())) {
            LOG.atWarn().addKeyValue("kid", primary.kid()).addKeyValue("signable_at", primary.signableAt().toString())
                    .log("signing with a key version before its publication delay passed (no bridge key configured):"
                            + " verifiers with a cached JWKS must refetch it");
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
        SignResult r = client.sign(id, signingInput);
        if (r.fallback() || !r.keyId().equals(id) || r.algorithm() != key.algorithm()) {
            // The header already names the key: a signature from any other key would not verify.
            throw new CryptoException(Reason.KEY_STATE_INVALID, "asked " + id + " to sign but " + r.keyId() + " signed");
        }
        return r.jwsSignature();
    }

    /** Re-reads the key ring after the service refused a version (it was rotated or disabled). */
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
