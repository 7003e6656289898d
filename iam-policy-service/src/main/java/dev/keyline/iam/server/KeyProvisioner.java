package dev.keyline.iam.server;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.client.KeyMetadata;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the service's keys in the crypto service when they do not exist yet: the decision-signing
 * key (ECDSA P-256) and the cache-encryption key (AES-256-GCM). While the service is unavailable it
 * retries in the background; decisions go on meanwhile (unsigned, L2 per the fallback mode).
 */
final class KeyProvisioner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyProvisioner.class);

    private final CryptoClient client;
    private final Map<KeyId, KeyAlgorithm> keys;
    private final Duration retryEvery;
    private volatile Thread retrying;
    private volatile boolean closed;

    KeyProvisioner(CryptoClient client, Map<KeyId, KeyAlgorithm> keys, Duration retryEvery) {
        this.client = client;
        this.keys = Map.copyOf(keys);
        this.retryEvery = retryEvery;
    }

    /** Ensures every key now; if the service is unavailable, keeps trying in the background. */
    void start() {
        if (!ensureAll()) {
            retrying = Thread.ofVirtual().name("iam-key-provisioner").start(() -> {
                while (!closed) {
                    try {
                        Thread.sleep(retryEvery);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (ensureAll()) {
                        return;
                    }
                }
            });
        }
    }

    /** Whether every key exists (or failed for a reason retrying cannot fix, which is logged). */
    boolean ensureAll() {
        for (Map.Entry<KeyId, KeyAlgorithm> k : keys.entrySet()) {
            try {
                ensure(k.getKey().unversioned(), k.getValue());
            } catch (CryptoException e) {
                if (FallbackHandler.eligible(e)) {
                    LOG.atWarn().addKeyValue("key_id", k.getKey().toString()).addKeyValue("correlation_id", e.correlationId())
                            .log("crypto service unavailable; will create or check the key again in {}", retryEvery);
                    return false;
                }
                LOG.atError().addKeyValue("key_id", k.getKey().toString()).addKeyValue("error_code", e.reason().name())
                        .log("cannot check or create the key ({}); operations with it will fail until an operator fixes it", e.getMessage());
            }
        }
        return true;
    }

    private void ensure(KeyId id, KeyAlgorithm algorithm) {
        KeyMetadata md;
        try {
            md = client.getKeyMetadata(id);
        } catch (CryptoException e) {
            if (e.reason() != CryptoException.Reason.KEY_NOT_FOUND) {
                throw e;
            }
            try {
                md = client.generateKey(id, algorithm, Duration.ZERO);
                LOG.atInfo().addKeyValue("key_id", md.keyId().toString()).log("created the key {} ({})", id, algorithm);
            } catch (CryptoException g) {
                if (FallbackHandler.eligible(g)) {
                    throw g;
                }
                // Another replica may have created it meanwhile.
                md = client.getKeyMetadata(id);
            }
        }
        if (md.algorithm() != algorithm) {
            LOG.atError().addKeyValue("key_id", id.toString()).log("the key {} is {}, not {}; it cannot serve this purpose", id, md.algorithm(),
                    algorithm);
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t = retrying;
        if (t != null) {
            t.interrupt();
        }
    }
}
