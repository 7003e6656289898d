package dev.keyline.platform.bench;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.authorizer.Authorizer;
import dev.keyline.iam.cache.CacheKey;
import dev.keyline.iam.cache.CacheKeys;
import dev.keyline.iam.cache.CacheStorage;
import dev.keyline.iam.cache.CryptoFallback;
import dev.keyline.iam.cache.DecisionCache;
import dev.keyline.iam.cache.InMemoryCacheStorage;
import dev.keyline.iam.cache.RedisCacheStorage;
import dev.keyline.iam.decision.AttributeValue;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.iam.policy.CedarPolicyEngine;
import dev.keyline.iam.signing.DecisionSigner;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * Decisions per second and p50/p99 latency of the IAM service's decision path, in this process (no
 * HTTP): uncached Cedar evaluation, an L1 hit, an L2 hit (plaintext and encrypted, in Redis when a
 * URL is given), and an L1 hit with signing through the crypto service. The load runs on
 * {@code threads} platform threads sharing the machine with everything else in the JVM (the crypto
 * service too, when it runs in the same process).
 */
public final class IamBench {
    private static final String[] USERS = {"alice", "bob", "carol", "dave"};
    private static final String[] ACTIONS = {"read", "write", "comment", "delete"};
    private static final String[] DOCS = {"roadmap", "handbook", "salaries"};

    /**
     * What to run.
     *
     * @param client the crypto client for the encrypted-L2 and signing scenarios (skipped when empty);
     *     its caller needs data-key, decrypt and sign on {@code encryptionKey} and {@code signingKey},
     *     which must exist
     * @param redisUrl L2 in Redis (keys under a fresh prefix, deleted afterwards); in memory when empty
     */
    public record Options(Path policyDir, Optional<CryptoClient> client, KeyId encryptionKey, KeyId signingKey, Optional<String> redisUrl,
            int threads, Duration warmup, Duration measure) {
        public Options {
            Objects.requireNonNull(policyDir, "policyDir");
            Objects.requireNonNull(client, "client");
            Objects.requireNonNull(encryptionKey, "encryptionKey");
            Objects.requireNonNull(signingKey, "signingKey");
            Objects.requireNonNull(redisUrl, "redisUrl");
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1");
            }
        }
    }

    /** One scenario's outcome. */
    public record Result(String name, long operations, double perSecond, double p50Micros, double p99Micros) {
        public String toText() {
            return String.format("%-34s %10.0f ops/s   p50 %8.1f µs   p99 %8.1f µs   (%d ops)", name, perSecond, p50Micros, p99Micros, operations);
        }
    }

    private IamBench() {
    }

    public static List<Result> run(Options o, PrintWriter out) throws InterruptedException {
        List<Result> results = new ArrayList<>();
        IamMetrics metrics = new IamMetrics(new SimpleMeterRegistry());
        CedarPolicyEngine engine = CedarPolicyEngine.load(o.policyDir(), InstantSource.system());
        CacheKeys keys = CacheKeys.random(new SecureRandom());

        // 1. Uncached: every request is new to Cedar (a fresh context value), no cache at all.
        results.add(report(out, measure("uncached Cedar evaluation", o, i -> engine.evaluate(request(i, i)))));

        // 2. L1 hit: a small working set, always in L1.
        DecisionCache l1Only = DecisionCache.builder(metrics).l1(100_000, Duration.ofMinutes(10)).build();
        Authorizer l1 = new Authorizer(engine, l1Only, keys, Optional.empty(), metrics, InstantSource.system(), UUID::randomUUID);
        for (int i = 0; i < 48; i++) {
            l1.authorize(request(i, -1));
        }
        results.add(report(out, measure("L1 hit (authorize)", o, i -> l1.authorize(request(i % 48, -1)))));

        // 3./4. L2 hits: L1 off, the same 1000 entries read back, plaintext then encrypted.
        String prefix = "keyline-bench:iam:" + UUID.randomUUID() + ":";
        Result plain = l2(o, "L2 hit, plaintext", engine, keys, metrics, prefix + "plain:", null);
        results.add(report(out, plain));
        if (o.client().isPresent()) {
            EnvelopeEncryptor encryptor = EnvelopeEncryptor.builder(o.client().get(), o.encryptionKey()).context("keyline-iam-decision-cache")
                    .meterRegistry(new SimpleMeterRegistry()).build();
            Result enc = l2(o, "L2 hit, encrypted", engine, keys, metrics, prefix + "enc:", encryptor);
            results.add(report(out, enc));
            out.printf("encrypted / plaintext L2 hit: p50 %.2f×, throughput %.2f×%n", enc.p50Micros() / plain.p50Micros(),
                    plain.perSecond() / enc.perSecond());

            // 5. Signing on: L1 hits, each decision signed by the crypto service.
            DecisionSigner signer = new DecisionSigner(o.client().get(), o.signingKey(), metrics);
            Authorizer signing = new Authorizer(engine, l1Only, keys, Optional.of(signer), metrics, InstantSource.system(), UUID::randomUUID);
            results.add(report(out, measure("L1 hit + signing (crypto service)", o, i -> {
                if (signing.authorize(request(i % 48, -1)).signed().isEmpty()) {
                    throw new IllegalStateException("a decision was not signed; is the signing key there?");
                }
            })));
        }
        out.flush();
        return results;
    }

    private static Result l2(Options o, String name, CedarPolicyEngine engine, CacheKeys keys, IamMetrics metrics, String prefix,
            EnvelopeEncryptor encryptor) throws InterruptedException {
        CacheStorage storage = o.redisUrl().<CacheStorage>map(u -> RedisCacheStorage.connect(u, prefix, Duration.ofSeconds(2)))
                .orElseGet(() -> new InMemoryCacheStorage(100_000, InstantSource.system()));
        DecisionCache.Builder b = DecisionCache.builder(metrics).l1(0, Duration.ofSeconds(1)).l2(storage, Duration.ofMinutes(10));
        if (encryptor != null) {
            b.encrypted(encryptor, CryptoFallback.SKIP);
        }
        try (DecisionCache cache = b.build()) {
            String version = engine.current().version();
            CacheKey[] entries = new CacheKey[1000];
            for (int i = 0; i < entries.length; i++) {
                AuthorizationRequest r = request(i, i);
                entries[i] = keys.keyFor(r, version);
                cache.put(entries[i], engine.evaluate(r));
            }
            return measure(name, o, i -> {
                if (cache.get(entries[i % entries.length]).isEmpty()) {
                    throw new IllegalStateException("an L2 entry was missing");
                }
            });
        } finally {
            if (o.redisUrl().isPresent()) {
                // Closed by the cache already for memory; Redis needs its keys removed first.
                try (RedisCacheStorage cleanup = RedisCacheStorage.connect(o.redisUrl().orElseThrow(), prefix, Duration.ofSeconds(2))) {
                    cleanup.deleteAll();
                }
            }
        }
    }

    private static AuthorizationRequest request(int i, int nonce) {
        int k = Math.floorMod(i, USERS.length * ACTIONS.length * DOCS.length);
        Map<String, AttributeValue> context = nonce < 0 ? Map.of() : Map.of("nonce", new AttributeValue.Int(nonce));
        return new AuthorizationRequest(RequestEntity.of("User", USERS[k % USERS.length]), ACTIONS[(k / USERS.length) % ACTIONS.length],
                RequestEntity.of("Document", DOCS[(k / (USERS.length * ACTIONS.length)) % DOCS.length]), context);
    }

    /** Runs {@code op} on every thread for the warmup, then for the measured period, sampling each op's latency. */
    private static Result measure(String name, Options o, IntConsumer op) throws InterruptedException {
        phase(o.threads(), o.warmup(), op, null);
        long[][] samples = new long[o.threads()][];
        long start = System.nanoTime();
        long ops = phase(o.threads(), o.measure(), op, samples);
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] all = Arrays.stream(samples).flatMapToLong(Arrays::stream).sorted().toArray();
        return new Result(name, ops, ops / seconds, percentile(all, 0.50) / 1e3, percentile(all, 0.99) / 1e3);
    }

    private static long phase(int threads, Duration d, IntConsumer op, long[][] samples) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(threads);
        long[] counts = new long[threads];
        Throwable[] failure = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread.ofPlatform().name("iam-bench-" + t).start(() -> {
                long[] lat = new long[1 << 20];
                int n = 0;
                int i = id * 1_000_003;
                try {
                    while (!stop.get()) {
                        long s = System.nanoTime();
                        op.accept(i++);
                        long e = System.nanoTime() - s;
                        if (n < lat.length) {
                            lat[n] = e;
                        }
                        n++;
                    }
                } catch (RuntimeException ex) {
                    failure[0] = ex;
                } finally {
                    counts[id] = n;
                    if (samples != null) {
                        samples[id] = Arrays.copyOf(lat, Math.min(n, lat.length));
                    }
                    done.countDown();
                }
            });
        }
        Thread.sleep(d.toMillis());
        stop.set(true);
        done.await();
        if (failure[0] != null) {
            throw new IllegalStateException("benchmark operation failed", failure[0]);
        }
        return Arrays.stream(counts).sum();
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static Result report(PrintWriter out, Result r) {
        out.println(r.toText());
        out.flush();
        return r;
    }
}
