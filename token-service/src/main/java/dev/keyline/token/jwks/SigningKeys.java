package dev.keyline.token.jwks;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.KeyMetadata;
import dev.keyline.crypto.client.PublicKeyInfo;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.VerifyingKey;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versions of the crypto-service signing key ring ({@code token/jwt-signing} by default) that
 * this token service publishes and signs with, and the rule that makes rotation graceful (T7).
 *
 * <h2>Publication</h2>
 * Every version the service still lets verify (key and version ENABLED, at or above
 * {@code min_decryption_version}) is published, with {@code kid} = its concrete key id
 * {@code namespace/id/version}; a version that stops being verifiable is dropped at the next
 * refresh. Refreshes happen on a schedule (metadata polling, by the owner of this object) and when
 * a token names a version of this ring that is not known yet ({@link #refreshFor}).
 *
 * <h2>Signing gate</h2>
 * A version becomes <em>signable</em> {@code publishDelay} (default: the JWKS {@code max-age})
 * after this service first published it, so a verifier that fetched the JWKS before the rotation
 * and honours {@code Cache-Control} has refetched it before it meets the new {@code kid}.
 * Versions that already existed when this process first read the key count from their creation
 * time (other replicas, or this service before a restart, published them then); a key with a
 * single version at start, or one this process created, is signable at once because no token of
 * it can have been cached against an older key set.
 *
 * <p>During the gate the previous version keeps signing: the crypto service signs with an older
 * version when the request names it, as long as that version is ENABLED and at or above
 * {@code min_decryption_version} — exactly when it is published here. {@link #signable()} is the
 * newest published version past its gate, so a verifier holding any JWKS fetched within max-age
 * knows it. It is empty only when no published version may sign: before the first refresh, or
 * when the versions before a gated primary were disabled or fell below the minimum meanwhile;
 * {@link dev.keyline.token.jwt.CryptoSigner} then uses its bridge key (the fallback key, which
 * every JWKS already lists).
 */
public final class SigningKeys {
    private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);
    private static final Duration MIN_UNKNOWN_KID_REFRESH = Duration.ofSeconds(1);

    /** One published version. */
    public record Version(KeyId keyId, KeyAlgorithm algorithm, String jwkJson, VerifyingKey verifyingKey, Instant signableAt) {
        public Version {
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(jwkJson, "jwkJson");
            Objects.requireNonNull(verifyingKey, "verifyingKey");
            Objects.requireNonNull(signableAt, "signableAt");
        }

        public String kid() {
            return keyId.toString();
        }
    }

    private record State(Map<Integer, Version> versions, int primary, long revision) {
        static final State EMPTY = new State(Map.of(), 0, 0);
    }

    private final CryptoClient client;
    private final KeyId ring;
    private final Duration publishDelay;
    private final InstantSource clock;
    private final CryptoProviders providers = CryptoProviders.defaults();
    private volatile State state = State.EMPTY;
    private boolean loadedOnce;
    private boolean createdHere;
    private Instant lastUnknownKidRefresh = Instant.EPOCH;
    private volatile boolean loaded;
    private KeyAlgorithm createAs;
    private Instant lastLoadAttempt = Instant.EPOCH;
    private CryptoException lastLoadFailure;

    public SigningKeys(CryptoClient client, KeyId ring, Duration publishDelay, InstantSource clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.ring = Objects.requireNonNull(ring, "ring").unversioned();
        this.publishDelay = Objects.requireNonNull(publishDelay, "publishDelay");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (publishDelay.isNegative()) {
            throw new IllegalArgumentException("publishDelay must not be negative");
        }
    }

    /** {@code namespace/id} of the key ring. */
    public KeyId ring() {
        return ring;
    }

    /**
     * Creates the key ring with {@code algorithm} when the crypto service does not have it (needs
     * the {@code manage} grant), then {@link #refresh()}es. An existing key of another algorithm
     * is kept as it is (its algorithm wins); an HMAC key is refused because it cannot be published.
     */
    public synchronized void ensureKey(KeyAlgorithm algorithm) {
        // Remember it: if the service is unreachable now, the first successful load creates the key then.
        createAs = algorithm;
        try {
            client.getKeyMetadata(ring);
        } catch (CryptoException e) {
            if (e.reason() != Reason.KEY_NOT_FOUND) {
                throw e;
            }
            try {
                client.generateKey(ring, algorithm, Duration.ZERO);
                createdHere = true;
            } catch (CryptoException raced) {
                // Another replica may have created it a moment ago: fine if it exists now, else the first error stands.
                try {
                    client.getKeyMetadata(ring);
                } catch (CryptoException stillMissing) {
                    raced.addSuppressed(stillMissing);
                    throw raced;
                }
            }
            if (createdHere) {
                LOG.atInfo().addKeyValue("key_id", ring.ringName()).addKeyValue("algorithm", algorithm.name())
                        .log("created the JWT signing key in the crypto service");
            }
        }
        refresh();
    }

    /**
     * Reads the key's metadata and public keys and updates what is published. Throws
     * {@code CryptoException} when the service cannot be asked; what was published stays.
     */
    public synchronized void refresh() {
        KeyMetadata md = client.getKeyMetadata(ring);
        if (!md.algorithm().isAsymmetric()) {
            throw new CryptoException(Reason.ALGORITHM_MISMATCH, "the JWT signing key " + ring.ringName() + " is " + md.algorithm()
                    + "; it must be an asymmetric signature key so that its public keys can be published");
        }
        Instant now = clock.instant();
        State before = state;
        Map<Integer, Version> next = new TreeMap<>();
        boolean immediate = !loadedOnce && (createdHere || md.versions().size() == 1);
        for (KeyMetadata.VersionInfo v : md.versions()) {
            if (!md.verifiableWith(v.version())) {
                continue;
            }
            Version known = before.versions.get(v.version());
            if (known != null) {
                next.put(v.version(), known);
                continue;
            }
            PublicKeyInfo pk = client.getPublicKey(ring.withVersion(v.version()));
            VerifyingKey key = VerifyingKey.fromPem(pk.algorithm(), pk.pem(), providers);
            Instant base = immediate ? now.minus(publishDelay) : loadedOnce ? now : v.createdAt();
            Version published = new Version(pk.keyId(), pk.algorithm(), key.jwkJson(pk.keyId().toString()), key, base.plus(publishDelay));
            next.put(v.version(), published);
            if (loadedOnce) {
                LOG.atInfo().addKeyValue("kid", published.kid()).addKeyValue("signable_at", published.signableAt().toString())
                        .log("new signing key version published in the JWKS; it signs once verifiers have had time to fetch it");
            }
        }
        loadedOnce = true;
        loaded = true;
        boolean changed = !next.keySet().equals(before.versions.keySet()) || md.primaryVersion() != before.primary;
        if (changed) {
            state = new State(Collections.unmodifiableMap(next), md.primaryVersion(), before.revision + 1);
        }
    }

    /**
     * Makes sure the key has been read once: when it has not, reads it now — at most once a second;
     * in between, the last failure is thrown again at once, so that requests arriving while the
     * crypto service is unreachable go to the fallback without each waiting for their own attempt.
     */
    public void ensureLoaded() {
        if (loaded) {
            return;
        }
        synchronized (this) {
            if (loaded) {
                return;
            }
            Instant now = clock.instant();
            if (lastLoadFailure != null && now.isBefore(lastLoadAttempt.plus(MIN_UNKNOWN_KID_REFRESH))) {
                throw new CryptoException(lastLoadFailure.reason(), lastLoadFailure.getMessage(), lastLoadFailure.correlationId(), null);
            }
            lastLoadAttempt = now;
            try {
                if (createAs != null) {
                    ensureKey(createAs);
                } else {
                    refresh();
                }
                lastLoadFailure = null;
            } catch (CryptoException e) {
                lastLoadFailure = e;
                throw e;
            }
        }
    }

    /**
     * Called with the {@code kid} of a token being verified that this service does not know: when
     * it names a newer version of this ring, re-reads the key (at most once a second) and returns
     * whether the kid is known afterwards.
     */
    public boolean refreshFor(String kid) {
        KeyId id;
        try {
            id = KeyId.parse(kid);
        } catch (CryptoException e) {
            return false;
        }
        if (!id.sameRing(ring) || id.version() < 1) {
            return false;
        }
        if (state.versions.containsKey(id.version())) {
            return true;
        }
        synchronized (this) {
            Instant now = clock.instant();
            if (now.isBefore(lastUnknownKidRefresh.plus(MIN_UNKNOWN_KID_REFRESH))) {
                return state.versions.containsKey(id.version());
            }
            lastUnknownKidRefresh = now;
            if (id.version() <= state.primary) {
                return false;
            }
            // Asking for a version above the cached primary makes the client re-read the metadata.
            client.getPublicKey(id);
            refresh();
            return state.versions.containsKey(id.version());
        }
    }

    /**
     * The version that signs now: the newest published version whose publication delay has passed
     * — the primary once its gate is over, during the gate the newest version before it (the
     * previous one). Empty before the first refresh, and when no published version is past its gate
     * (the versions before a gated primary were disabled or fell below {@code min_decryption_version}).
     */
    public Optional<Version> signable() {
        State s = state;
        Instant now = clock.instant();
        Version best = null;
        for (Version v : s.versions.values()) {
            // Ascending versions: the last one past its gate is the newest.
            if (!now.isBefore(v.signableAt())) {
                best = v;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The primary version, gate or not; empty before the first successful refresh. */
    public Optional<Version> primary() {
        State s = state;
        return Optional.ofNullable(s.versions.get(s.primary));
    }

    /** Every published version, oldest first. */
    public List<Version> published() {
        return new ArrayList<>(state.versions.values());
    }

    /** The published version {@code kid} names, if any. */
    public Optional<Version> find(String kid) {
        KeyId id;
        try {
            id = KeyId.parse(kid);
        } catch (CryptoException e) {
            return Optional.empty();
        }
        if (!id.sameRing(ring)) {
            return Optional.empty();
        }
        return Optional.ofNullable(state.versions.get(id.version()));
    }

    /** Increases whenever what is published or the primary changes. */
    public long revision() {
        return state.revision;
    }

    public Duration publishDelay() {
        return publishDelay;
    }
}
