package dev.keyline.iam.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.iam.IamException;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.metrics.IamMetrics;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two-level decision cache. L1 is in this process (Caffeine, bounded, TTL); L2 is shared
 * ({@link CacheStorage}: Redis, or in memory by default), optionally encrypted
 * ({@link EncryptedDecisionCache}). A lookup tries L1, then L2 (a hit there fills L1). Keys are
 * {@link CacheKey}s, which include the policy version: a reload never serves an evaluation of the
 * previous set. L2 being down makes lookups miss and stores no-ops; decisions go on.
 *
 * <p>Counts {@code keyline_iam_cache_requests_total{level,result}} per level.
 */
public final class DecisionCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DecisionCache.class);
    private static final long WARN_EVERY_NANOS = 10_000_000_000L;

    private final Cache<String, Evaluation> l1;
    /** Plaintext (MAC-authenticated) L2; null without L2. */
    private final DistributedTier l2;
    /** Encrypted L2 over the same storage; null when no encryptor was given. */
    private final DistributedTier encryptedL2;
    private final BooleanSupplier encrypt;
    private final IamMetrics metrics;
    private final AtomicLong lastL2Warning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

    /** Which level answered. */
    public enum Level { L1, L2 }

    /** A cached evaluation and the level it came from. */
    public record Hit(Evaluation evaluation, Level level) { }

    private DecisionCache(Builder b) {
        this.metrics = b.metrics;
        this.l1 = b.l1MaxEntries == 0 ? null : Caffeine.newBuilder().maximumSize(b.l1MaxEntries).expireAfterWrite(b.l1Ttl)
                .ticker(() -> nanos(b.clock.instant())).build();
        this.encrypt = b.encrypt;
        if (b.storage == null) {
            this.l2 = null;
            this.encryptedL2 = null;
        } else {
            PlaintextTier plain = new PlaintextTier(b.storage, b.entryMac, b.l2Ttl, b.clock, b.metrics);
            this.l2 = plain;
            this.encryptedL2 = b.encryptor == null ? null : new EncryptedDecisionCache(plain, b.encryptor, b.fallback, b.l2Ttl, b.clock, b.metrics);
        }
    }

    public static Builder builder(IamMetrics metrics) {
        return new Builder(metrics);
    }

    public Optional<Hit> get(CacheKey key) {
        if (l1 != null) {
            Evaluation e = l1.getIfPresent(key.digest());
            metrics.cache("l1", e != null);
            if (e != null) {
                return Optional.of(new Hit(e, Level.L1));
            }
        }
        if (l2 == null) {
            return Optional.empty();
        }
        Optional<Evaluation> e;
        try {
            e = tier().get(key);
        } catch (IamException ex) {
            l2Unavailable(ex);
            e = Optional.empty();
        }
        metrics.cache("l2", e.isPresent());
        e.ifPresent(ev -> {
            if (l1 != null) {
                l1.put(key.digest(), ev);
            }
        });
        return e.map(ev -> new Hit(ev, Level.L2));
    }

    public void put(CacheKey key, Evaluation evaluation) {
        if (!evaluation.policyVersion().equals(key.policyVersion())) {
            throw new IllegalArgumentException("the evaluation's policy version is not the key's");
        }
        if (l1 != null) {
            l1.put(key.digest(), evaluation);
        }
        if (l2 != null) {
            try {
                tier().put(key, evaluation);
            } catch (IamException ex) {
                l2Unavailable(ex);
            }
        }
    }

    /** Empties L1 (tests and the benchmark use it to measure L2). */
    public void clearL1() {
        if (l1 != null) {
            l1.invalidateAll();
        }
    }

    /** The L2 storage, if there is an L2. */
    public Optional<CacheStorage> l2Storage() {
        return Optional.ofNullable(l2).map(DistributedTier::storage);
    }

    /**
     * Whether L2 entries are now encrypted: an encryptor was given and the encryption flag is on.
     * The flag is read per operation, so switching it takes effect on the next lookup. With it on,
     * a plaintext entry is refused (see {@link EncryptedDecisionCache}); with it off, an encrypted
     * entry is a miss: switching never serves an entry in the other form.
     */
    public boolean encrypted() {
        return encryptedL2 != null && encrypt.getAsBoolean();
    }

    private DistributedTier tier() {
        return encrypted() ? encryptedL2 : l2;
    }

    private void l2Unavailable(IamException ex) {
        if (ex.reason() != IamException.Reason.UNAVAILABLE) {
            throw ex;
        }
        metrics.cacheError("l2_unavailable");
        long now = System.nanoTime();
        long last = lastL2Warning.get();
        if (now - last >= WARN_EVERY_NANOS && lastL2Warning.compareAndSet(last, now)) {
            LOG.atWarn().addKeyValue("storage", l2.storage().describe()).log("L2 decision cache unavailable, using L1 only: {}", ex.getMessage());
        }
    }

    @Override
    public void close() {
        if (l2 != null) {
            l2.storage().close();
        }
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** Settings of a {@link DecisionCache}. */
    public static final class Builder {
        private final IamMetrics metrics;
        private long l1MaxEntries = 100_000;
        private Duration l1Ttl = Duration.ofSeconds(30);
        private CacheStorage storage;
        private Duration l2Ttl = Duration.ofMinutes(5);
        private EnvelopeEncryptor encryptor;
        private CryptoFallback fallback = CryptoFallback.SKIP;
        private HmacSha256 entryMac;
        private InstantSource clock = InstantSource.system();
        private BooleanSupplier encrypt = () -> true;

        private Builder(IamMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
        }

        /** L1 size and TTL; {@code maxEntries} 0 turns L1 off. */
        public Builder l1(long maxEntries, Duration ttl) {
            this.l1MaxEntries = maxEntries;
            this.l1Ttl = Objects.requireNonNull(ttl, "ttl");
            return this;
        }

        /** L2 in {@code storage} (the cache owns and closes it). Without this call there is no L2. */
        public Builder l2(CacheStorage storage, Duration ttl) {
            this.storage = Objects.requireNonNull(storage, "storage");
            this.l2Ttl = Objects.requireNonNull(ttl, "ttl");
            return this;
        }

        /** Encrypts L2 entries with {@code encryptor}; {@code fallback} applies while the crypto service is unavailable. */
        public Builder encrypted(EnvelopeEncryptor encryptor, CryptoFallback fallback) {
            this.encryptor = Objects.requireNonNull(encryptor, "encryptor");
            this.fallback = Objects.requireNonNull(fallback, "fallback");
            return this;
        }

        /**
         * Encrypts L2 entries (with the {@link #encrypted} encryptor) only while {@code flag} says so:
         * the run-time cache-encryption flag. Without this call, always.
         */
        public Builder encryptWhen(BooleanSupplier flag) {
            this.encrypt = Objects.requireNonNull(flag, "flag");
            return this;
        }

        /**
         * The key that authenticates plaintext L2 entries ({@link CacheKeys#entryMac()}); replicas
         * that share an L2 share it. Without this call, a random key private to this process.
         */
        public Builder entryMac(HmacSha256 mac) {
            this.entryMac = Objects.requireNonNull(mac, "mac");
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public DecisionCache build() {
            if (l1MaxEntries < 0 || l1Ttl.isNegative() || l1Ttl.isZero() || l2Ttl.isNegative() || l2Ttl.isZero()) {
                throw new IllegalArgumentException("cache sizes must be at least 0 and TTLs positive");
            }
            if (entryMac == null) {
                entryMac = CacheKeys.random(new SecureRandom()).entryMac();
            }
            return new DecisionCache(this);
        }
    }
}
