package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.core.signing.VerifyingKey;
import dev.keyline.crypto.v1.BatchSignResponse;
import io.grpc.Status;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sign micro-batching against the real service: calls that arrive while a sign of their key is in
 * flight share one BatchSign RPC (counted by the server interceptor) and each gets a valid
 * signature of its own data; a refused or mis-answered item fails only its caller; a failed batch
 * RPC fails every caller as the single path would (retries, breaker, fallback, rate limit per
 * call); a call with nothing in flight goes at once, and a lone call in a batch waits no longer
 * than the linger.
 */
class SignBatcherTest {
    /** Long enough that every caller of a test joins before the linger ends: batches leave exactly when full. */
    private static final Duration LONG_LINGER = Duration.ofMillis(100);
    /** How long the service holds the Sign RPCs that keep a key busy, so that the calls after them batch. */
    private static final Duration HOLD = Duration.ofMillis(200);

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static KeyId ecKey;
    static KeyId edKey;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        ecKey = fx.newKey("batch", KeyAlgorithm.ECDSA_P256_SHA256);
        edKey = fx.newKey("batch", KeyAlgorithm.ED25519);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @BeforeEach
    void clean() {
        fx.faults.reset();
    }

    /** What one concurrent caller got. */
    record Outcome(KeyId asked, byte[] data, SignResult result, CryptoException error) { }

    /**
     * Runs one sign per (key, data) pair, all released at once, each with its own correlation id
     * {@code caller-i}. With {@code busy}, first starts one sign per distinct key whose Sign RPC the
     * service holds for {@link #HOLD}, and releases the callers once the service has them: with a
     * sign of their key in flight, the callers batch. Returns the callers' outcomes once the held
     * signs are done too.
     */
    static List<Outcome> signConcurrently(CryptoClient client, List<KeyId> keys, List<byte[]> data, boolean busy) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Outcome>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            if (busy) {
                List<KeyId> distinct = keys.stream().distinct().toList();
                int before = fx.faults.count("Sign");
                for (KeyId key : distinct) {
                    fx.faults.once(FaultInjector.delay(HOLD, "Sign"));
                    pool.submit(() -> client.sign(key, new byte[] {0}));
                }
                while (fx.faults.count("Sign") < before + distinct.size()) {
                    Thread.sleep(1);
                }
            }
            for (int i = 0; i < keys.size(); i++) {
                KeyId key = keys.get(i);
                byte[] d = data.get(i);
                String cid = "caller-" + i;
                futures.add(pool.submit(() -> {
                    go.await();
                    try {
                        return new Outcome(key, d, RequestContext.call(RequestContext.of(cid), () -> client.sign(key, d)), null);
                    } catch (CryptoException e) {
                        return new Outcome(key, d, null, e);
                    }
                }));
            }
            go.countDown();
            List<Outcome> out = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                out.add(f.get());
            }
            return out;
        }
    }

    static List<byte[]> distinctData(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(("token #" + i).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    static VerifyingKey publicKey(CryptoClient c, KeyId concrete, KeyAlgorithm alg) {
        return VerifyingKey.fromPem(alg, c.getPublicKey(concrete).pem(), CryptoProviders.defaults());
    }

    static CryptoClient batchingClient(CryptoClientConfig.Builder config, int maxItems, Duration linger, SimpleMeterRegistry meters) {
        return fx.client(config.signBatching(maxItems, linger).build(), InstantSource.system(), meters);
    }

    @Test
    void sign_concurrentCallersOfTwoKeys_oneBatchSignPerKeyAndEachGetsItsOwnSignature() throws Exception {
        int perKey = 12;
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (CryptoClient c = batchingClient(fx.config(), perKey, LONG_LINGER, meters)) {
            c.getKeyMetadata(ecKey);
            c.getKeyMetadata(edKey);
            VerifyingKey ec = publicKey(c, ecKey.withVersion(1), KeyAlgorithm.ECDSA_P256_SHA256);
            VerifyingKey ed = publicKey(c, edKey.withVersion(1), KeyAlgorithm.ED25519);
            List<KeyId> keys = new ArrayList<>();
            for (int i = 0; i < perKey; i++) {
                keys.add(ecKey);
                keys.add(edKey);
            }
            List<byte[]> data = distinctData(keys.size());
            fx.faults.reset();

            List<Outcome> outcomes = signConcurrently(c, keys, data, true);

            assertThat(fx.faults.count("BatchSign")).as("one RPC per key").isEqualTo(2);
            assertThat(fx.faults.count("Sign")).as("only the held signs went alone").isEqualTo(2);
            for (int i = 0; i < outcomes.size(); i++) {
                Outcome o = outcomes.get(i);
                assertThat(o.error()).as("caller %d", i).isNull();
                assertThat(o.result().keyId()).isEqualTo(o.asked().withVersion(1));
                assertThat(o.result().fallback()).isFalse();
                VerifyingKey vk = o.asked().equals(ecKey) ? ec : ed;
                assertThat(vk.verify(o.data(), o.result().signature())).as("caller %d's own data", i).isTrue();
                Outcome neighbour = outcomes.get((i + 2) % outcomes.size());
                assertThat(vk.verify(neighbour.data(), o.result().signature())).as("not another caller's data").isFalse();
            }
            DistributionSummary sizes = meters.find("keyline.client.sign.batch.size").summary();
            assertThat(sizes.count()).isEqualTo(2);
            assertThat(sizes.totalAmount()).isEqualTo(2.0 * perKey);
        }
    }

    /**
     * Large data: a batch leaves once its data reaches {@link SignBatcher#MAX_BATCH_DATA_BYTES}, so
     * concurrent large items never add up to a message over the service's limit, and data over
     * {@link SignBatcher#ALONE_ABOVE_BYTES} is never batched.
     */
    @Test
    void sign_largeData_batchesCappedByBytesAndHugeItemsAlone() throws Exception {
        try (CryptoClient c = batchingClient(fx.config(), 64, LONG_LINGER, new SimpleMeterRegistry())) {
            c.getKeyMetadata(ecKey);
            VerifyingKey ec = publicKey(c, ecKey.withVersion(1), KeyAlgorithm.ECDSA_P256_SHA256);
            List<KeyId> keys = new ArrayList<>();
            List<byte[]> data = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                keys.add(ecKey);
                byte[] d = new byte[60 * 1024];
                d[0] = (byte) i;
                data.add(d);
            }
            for (int i = 0; i < 2; i++) {
                keys.add(ecKey);
                byte[] d = new byte[SignBatcher.ALONE_ABOVE_BYTES + 1];
                d[0] = (byte) (100 + i);
                data.add(d);
            }
            fx.faults.reset();

            List<Outcome> outcomes = signConcurrently(c, keys, data, true);

            // 9 x 60 KiB reach 512 KiB and leave at once; the 10th leaves alone in a second batch.
            assertThat(fx.faults.count("BatchSign")).isEqualTo(2);
            assertThat(fx.faults.count("Sign")).as("the held sign and the two large items").isEqualTo(3);
            for (Outcome o : outcomes) {
                assertThat(o.error()).isNull();
                assertThat(ec.verify(o.data(), o.result().signature())).isTrue();
            }
        }
    }

    @Test
    void sign_oneItemRefusedByTheService_failsOnlyThatCaller() throws Exception {
        int n = 6;
        try (CryptoClient c = batchingClient(fx.config(), n, LONG_LINGER, new SimpleMeterRegistry())) {
            c.getKeyMetadata(ecKey);
            List<byte[]> data = distinctData(n);
            // Above the service's 1 MiB payload limit: the service refuses this item only.
            data.set(3, new byte[(1 << 20) + 1]);
            fx.faults.reset();

            List<Outcome> outcomes = signConcurrently(c, java.util.Collections.nCopies(n, ecKey), data, true);

            assertThat(fx.faults.count("BatchSign")).isEqualTo(1);
            for (int i = 0; i < n; i++) {
                Outcome o = outcomes.get(i);
                if (i == 3) {
                    assertThat(o.error()).isNotNull();
                    assertThat(o.error().reason()).isEqualTo(Reason.INVALID_ARGUMENT);
                    assertThat(o.error().correlationId()).isEqualTo("caller-3");
                } else {
                    assertThat(o.error()).as("caller %d", i).isNull();
                    assertThat(o.result().keyId()).isEqualTo(ecKey.withVersion(1));
                }
            }
        }
    }

    @Test
    void sign_oneAnswerNamingAnotherVersion_failsOnlyThatCallerWithAlgorithmMismatch() throws Exception {
        int n = 5;
        try (CryptoClient c = batchingClient(fx.config(), n, LONG_LINGER, new SimpleMeterRegistry())) {
            c.getKeyMetadata(edKey);
            fx.faults.reset();
            fx.faults.once(FaultInjector.rewrite(m -> {
                BatchSignResponse r = (BatchSignResponse) m;
                var first = r.getItems(0).getResult();
                return r.toBuilder().setItems(0, r.getItems(0).toBuilder().setResult(first.toBuilder()
                        .setKeyId(first.getKeyId().toBuilder().setVersion(7)))).build();
            }, "BatchSign"));

            // Naming version 1: only exactly version 1 may answer.
            List<Outcome> outcomes = signConcurrently(c, java.util.Collections.nCopies(n, edKey.withVersion(1)), distinctData(n), true);

            assertThat(fx.faults.count("BatchSign")).isEqualTo(1);
            assertThat(outcomes).filteredOn(o -> o.error() != null).singleElement()
                    .satisfies(o -> assertThat(o.error().reason()).isEqualTo(Reason.ALGORITHM_MISMATCH));
            assertThat(outcomes).filteredOn(o -> o.result() != null).hasSize(n - 1)
                    .allSatisfy(o -> assertThat(o.result().keyId()).isEqualTo(edKey.withVersion(1)));
        }
    }

    @Test
    void sign_batchRpcUnavailable_failsEveryCallerAfterRetriesThenTheOpenBreakerStopsTheNextBatch() throws Exception {
        int n = 6;
        // Window of 2: the metadata read succeeded, then both attempts of the batch fail and open the breaker.
        CryptoClientConfig.Builder config = fx.config().circuitBreaker(100f, 2, 2, Duration.ofMinutes(5), 1);
        try (CryptoClient c = batchingClient(config, n, LONG_LINGER, new SimpleMeterRegistry())) {
            c.getKeyMetadata(ecKey);
            fx.faults.reset();
            fx.faults.always(FaultInjector.status(Status.UNAVAILABLE, "BatchSign"));

            List<Outcome> first = signConcurrently(c, java.util.Collections.nCopies(n, ecKey), distinctData(n), true);

            assertThat(fx.faults.count("BatchSign")).as("one batch, retried once").isEqualTo(2);
            for (int i = 0; i < n; i++) {
                CryptoException e = first.get(i).error();
                assertThat(e).as("caller %d", i).isNotNull();
                assertThat(e.reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
                assertThat(e.getMessage()).contains("after 2 attempts");
                assertThat(e.correlationId()).as("each caller keeps its own id").isEqualTo("caller-" + i);
            }

            List<Outcome> second = signConcurrently(c, java.util.Collections.nCopies(n, ecKey), distinctData(n), false);
            assertThat(fx.faults.count("BatchSign")).as("the open breaker sends nothing").isEqualTo(2);
            assertThat(fx.faults.count("Sign")).as("not even alone").isEqualTo(1);
            assertThat(second).allSatisfy(o -> {
                assertThat(o.error().reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
                assertThat(o.error().getMessage()).contains("circuit breaker is OPEN");
            });
        }
    }

    @Test
    void sign_batchRpcUnavailableWithFallbackKey_everyCallerGetsAFallbackSignatureOfItsData() throws Exception {
        int n = 4;
        SigningKey fallback = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom(), CryptoProviders.defaults());
        CryptoClientConfig.Builder config = fx.config().fallbackEnabled(true).fallbackSigningKey(fallback);
        try (CryptoClient c = batchingClient(config, n, LONG_LINGER, new SimpleMeterRegistry())) {
            c.getKeyMetadata(ecKey);
            fx.faults.reset();
            fx.faults.always(FaultInjector.status(Status.DEADLINE_EXCEEDED, "BatchSign"));

            List<Outcome> outcomes = signConcurrently(c, java.util.Collections.nCopies(n, ecKey), distinctData(n), true);

            assertThat(fx.faults.count("BatchSign")).isEqualTo(2);
            assertThat(outcomes).allSatisfy(o -> {
                assertThat(o.error()).isNull();
                assertThat(o.result().fallback()).isTrue();
                assertThat(fallback.verifyingKey().verify(o.data(), o.result().signature())).isTrue();
            });
        }
    }

    @Test
    void sign_overTheRateLimit_eachCallTakesItsOwnPermitAndOnlyAdmittedCallsAreBatched() throws Exception {
        int n = 8;
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        // Six permits: the held sign takes one, five callers the others.
        CryptoClientConfig.Builder config = fx.config().rateLimit(6, Duration.ofHours(1));
        try (CryptoClient c = batchingClient(config, n, Duration.ofMillis(20), meters)) {
            List<Outcome> outcomes = signConcurrently(c, java.util.Collections.nCopies(n, ecKey), distinctData(n), true);

            assertThat(outcomes).filteredOn(o -> o.result() != null).hasSize(5);
            assertThat(outcomes).filteredOn(o -> o.error() != null).hasSize(3)
                    .allSatisfy(o -> assertThat(o.error().reason()).isEqualTo(Reason.RATE_LIMITED));
            assertThat(meters.find("keyline.client.sign.batch.size").summary().totalAmount()).as("items sent").isEqualTo(5.0);
        }
    }

    @Test
    void sign_concurrencyOne_goesAtOnceAsAPlainSign() {
        Duration linger = Duration.ofMillis(20);
        int calls = 10;
        byte[] data = {1, 2, 3};
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (CryptoClient single = fx.client(fx.config().build());
                    CryptoClient batched = batchingClient(fx.config(), 64, linger, new SimpleMeterRegistry())) {
                single.sign(ecKey, data);
                batched.sign(ecKey, data);
                long[] plain = new long[calls];
                long[] withBatching = new long[calls];
                fx.faults.reset();
                for (int i = 0; i < calls; i++) {
                    long t0 = System.nanoTime();
                    single.sign(ecKey, data);
                    long t1 = System.nanoTime();
                    batched.sign(ecKey, data);
                    plain[i] = t1 - t0;
                    withBatching[i] = System.nanoTime() - t1;
                }
                assertThat(fx.faults.count("BatchSign")).isZero();
                assertThat(fx.faults.count("Sign")).isEqualTo(2 * calls);
                Arrays.sort(plain);
                Arrays.sort(withBatching);
                // Nothing in flight: no linger at all (a lingering call would add the 20 ms).
                assertThat(Duration.ofNanos(withBatching[calls / 2] - plain[calls / 2])).as("median extra latency with batching on")
                        .isLessThan(linger.dividedBy(4));
            }
        });
    }

    @Test
    void sign_loneCallWhileAnotherIsInFlight_waitsNoLongerThanTheLinger() {
        Duration linger = Duration.ofMillis(20);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (CryptoClient c = batchingClient(fx.config(), 64, linger, new SimpleMeterRegistry());
                    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                c.sign(ecKey, new byte[] {0});
                fx.faults.reset();
                fx.faults.once(FaultInjector.delay(Duration.ofMillis(500), "Sign"));
                Future<SignResult> held = pool.submit(() -> c.sign(ecKey, new byte[] {1}));
                while (fx.faults.count("Sign") < 1) {
                    Thread.sleep(1);
                }
                long t0 = System.nanoTime();
                SignResult lone = c.sign(ecKey, new byte[] {2});
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                assertThat(lone.keyId()).isEqualTo(ecKey.withVersion(1));
                assertThat(fx.faults.count("BatchSign")).as("a batch of one").isEqualTo(1);
                assertThat(held.isDone()).as("it did not wait for the held sign").isFalse();
                // The linger, one RPC and scheduling slack: well below the held sign's half second.
                assertThat(took).isLessThan(linger.plusMillis(200));
                assertThat(held.get().keyId()).isEqualTo(ecKey.withVersion(1));
            }
        });
    }
}
