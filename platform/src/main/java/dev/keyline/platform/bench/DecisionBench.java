package dev.keyline.platform.bench;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.iam.cache.RedisCacheStorage;
import dev.keyline.iam.policy.DemoPolicies;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code keyline bench iam}: {@link IamBench} (the IAM service's decision path in this process:
 * uncached Cedar, L1 hit, L2 hit plaintext and encrypted, L1 hit with signing) with the demo
 * policies and a crypto service on loopback in this JVM, L2 in the real Redis under a fresh key
 * prefix that {@code IamBench} deletes afterwards. Reports the decision path's figures and their targets.
 */
final class DecisionBench {
    static final String NAME = "iam";
    static final String SCOPE = "decision path";

    static final String UNCACHED = "uncached Cedar evaluation";
    static final String L1 = "L1 hit (authorize)";
    static final String L2_PLAIN = "L2 hit, plaintext";
    static final String L2_ENCRYPTED = "L2 hit, encrypted";
    static final String SIGNING = "L1 hit + signing (crypto service)";

    private static final String GRANTS = "iam:sign,verify,read,encrypt,decrypt,data-key,manage";
    private static final KeyId ENCRYPTION_KEY = KeyId.of("iam", "cache-encryption");
    private static final KeyId SIGNING_KEY = KeyId.of("iam", "decision-signing");

    /** Where the L2 cache lives. */
    sealed interface L2 permits Redis, InMemory { }

    record Redis(String url) implements L2 {
        Redis {
            Objects.requireNonNull(url, "url");
        }
    }

    /** The in-process L2 storage: for machines without Redis; the L2 targets are for Redis. */
    record InMemory() implements L2 { }

    private final Duration warmup;
    private final Duration measure;
    private final int threads;
    private final Progress progress;

    DecisionBench(Duration warmup, Duration measure, int threads, Progress progress) {
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("threads must be between 1 and 256");
        }
        this.warmup = warmup;
        this.measure = measure;
        this.threads = threads;
        this.progress = progress;
    }

    /**
     * Fails with the IAM service's {@code UNAVAILABLE} error when Redis does not answer: a run that
     * would stop at its L2 step after minutes of other benchmarks should stop before them instead.
     */
    static void requireReachable(L2 l2) {
        if (l2 instanceof Redis r) {
            try (RedisCacheStorage probe = RedisCacheStorage.connect(r.url(), "keyline-bench:probe:", Duration.ofSeconds(2))) {
                if (!probe.ping()) {
                    throw new IllegalStateException("Redis at " + r.url() + " does not answer PING");
                }
            }
        }
    }

    Suite run(L2 l2) throws InterruptedException {
        progress.step("starting a crypto service on loopback; demo policies");
        try (ScratchDir dir = ScratchDir.create("keyline-bench-iam");
                CryptoServer crypto = CryptoServer.start(CryptoServiceConfig.defaults(dir.resolve("crypto")).grpcPort(0).httpPort(0).build(),
                        new CryptoServer.Network(), false, InstantSource.system())) {
            String token = crypto.access().issue("iam-policy", Grant.parseList(GRANTS)).token();
            crypto.keys().ensure(ENCRYPTION_KEY, KeyAlgorithm.AES_256_GCM);
            crypto.keys().ensure(SIGNING_KEY, KeyAlgorithm.ECDSA_P256_SHA256);
            Path policies = dir.resolve("policies");
            DemoPolicies.installIfAbsent(policies);
            Optional<String> redis = switch (l2) {
                case Redis r -> Optional.of(r.url());
                case InMemory m -> Optional.empty();
            };
            try (CryptoClient client = CryptoClientFactory.create(CryptoClientConfig.builder().clientName("iam-policy")
                    .endpoint("127.0.0.1:" + crypto.grpcPort()).authToken(token).build())) {
                progress.step("uncached, L1, L2 plaintext and encrypted (" + redis.map(u -> "Redis " + u).orElse("L2 in memory")
                        + "), L1 + signing; " + threads + " threads, " + measure.toSeconds() + " s each");
                List<IamBench.Result> results = IamBench.run(new IamBench.Options(policies, Optional.of(client), ENCRYPTION_KEY, SIGNING_KEY,
                        redis, threads, warmup, measure), progress.lines());
                return suite(results, l2);
            }
        }
    }

    private Suite suite(List<IamBench.Result> results, L2 l2) {
        // IamBench stops at the first failed operation, so every result it returns ran without errors.
        List<Row> rows = results.stream().map(r -> new Row(r.name(), r.perSecond(), r.perSecond(), r.p50Micros(), r.p99Micros(), 0)).toList();
        List<Check> checks = new ArrayList<>();
        checks.add(Check.atLeast("uncached decisions/s", field(results, UNCACHED, IamBench.Result::perSecond), "decisions/s", 5000));
        checks.add(Check.atMost("L1 hit p99 under load", field(results, L1, IamBench.Result::p99Micros), "us", 1000));
        double plainP50 = field(results, L2_PLAIN, IamBench.Result::p50Micros);
        double encryptedP50 = field(results, L2_ENCRYPTED, IamBench.Result::p50Micros);
        // "Costs" is read as the latency a request pays for one hit; time per hit under load is shown beside it.
        checks.add(Check.atMost("encrypted / plaintext L2 hit, p50 latency", encryptedP50 / plainP50, "", 1.3));
        checks.add(Check.info("encrypted / plaintext L2 hit, time per hit",
                field(results, L2_PLAIN, IamBench.Result::perSecond) / field(results, L2_ENCRYPTED, IamBench.Result::perSecond), ""));
        // As a ratio this printed 0.00 (a signature costs ~100x an L1 hit): the time it adds says more.
        checks.add(Check.info("signing adds per L1 decision (thread time)",
                1e6 * threads / field(results, SIGNING, IamBench.Result::perSecond)
                        - 1e6 * threads / field(results, L1, IamBench.Result::perSecond), "us"));
        List<String> notes = new ArrayList<>();
        notes.add("decision path in this process (no HTTP), " + threads + " threads; crypto service on loopback gRPC in this JVM");
        notes.add(switch (l2) {
            case Redis r -> "L2 in Redis at " + r.url() + " under a fresh key prefix, deleted after the run";
            case InMemory m -> "L2 in memory (--redis none): the L2 target is for Redis";
        });
        return new Suite(NAME, SCOPE, rows, checks, notes);
    }

    private static double field(List<IamBench.Result> results, String name, java.util.function.ToDoubleFunction<IamBench.Result> f) {
        return results.stream().filter(r -> r.name().equals(name)).mapToDouble(f).findFirst().orElse(Double.NaN);
    }
}
