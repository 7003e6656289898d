package dev.keyline.iam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.keyline.iam.cache.CryptoFallback;
import dev.keyline.iam.cache.EncryptedDecisionCache;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.policy.CedarPolicyEngine;
import dev.keyline.iam.server.IamServer;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.iam.testing.DemoRequests;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import dev.keyline.iam.testing.PolicyDirs;
import dev.keyline.iam.testing.Redis;
import dev.keyline.iam.testing.Tokens;
import dev.keyline.testing.Examples;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Properties I6 (graceful degradation) and I11 (health DEGRADED, not DOWN) with a real crypto
 * service that is stopped: mid-run under concurrent load, and before any request (both fallback
 * modes). Answers are checked against a separate Cedar engine over the same policies.
 */
class GracefulDegradationTest {
    @TempDir
    static Path tmp;
    /** Stopped before any request: servers with each fallback mode. */
    static CryptoServiceFixture downCrypto;
    static Redis skipRedis;
    static Redis plainRedis;
    static IamServer skipServer;
    static IamServer plainServer;
    static CedarPolicyEngine oracle;
    static Tokens tokens;
    static String token;

    @BeforeAll
    static void start() {
        Path dir = tmp.resolve("down");
        downCrypto = CryptoServiceFixture.start(dir.resolve("crypto"));
        Path policies = PolicyDirs.demo(dir);
        oracle = CedarPolicyEngine.load(policies, InstantSource.system());
        tokens = new Tokens();
        token = tokens.mint("degradation-test", "iam:authorize");
        skipRedis = new Redis("degradation-skip");
        plainRedis = new Redis("degradation-plaintext");
        // Both servers provision their keys while the service is up, then it goes away before any decision.
        skipServer = IamServer.start(IamFixture.defaults(dir.resolve("skip"), policies, skipRedis.prefix()).authJwksUrl(tokens.jwksUrl()).cryptoEndpoint(downCrypto.endpoint())
                .cryptoToken(IamFixture.iamToken(downCrypto)).cryptoFallback(CryptoFallback.SKIP).build());
        plainServer = IamServer.start(IamFixture.defaults(dir.resolve("plain"), policies, plainRedis.prefix()).authJwksUrl(tokens.jwksUrl())
                .cryptoEndpoint(downCrypto.endpoint()).cryptoToken(IamFixture.iamToken(downCrypto)).cryptoFallback(CryptoFallback.PLAINTEXT).build());
        downCrypto.stop();
    }

    @AfterAll
    static void stop() {
        skipServer.close();
        plainServer.close();
        skipRedis.close();
        plainRedis.close();
        downCrypto.close();
        tokens.close();
    }

    private static void assertMatchesOracle(AuthorizationRequest request, JsonNode answer) {
        Evaluation expected = oracle.evaluate(request);
        assertThat(answer.get("allowed").asBoolean()).as("allowed for %s", request).isEqualTo(expected.allowed());
        assertThat(answer.get("policy_name").asText()).as("policy_name for %s", request).isEqualTo(expected.policyName());
    }

    @Test
    void authorize_cryptoServiceStoppedMidRun_everyRequestIsAnsweredCorrectly_I6() throws Exception {
        try (IamFixture f = IamFixture.start(tmp.resolve("mid-run"), "degradation-mid-run")) {
            int threads = 4;
            int perThread = 120;
            AtomicInteger done = new AtomicInteger();
            CountDownLatch stopAt = new CountDownLatch(threads * perThread / 3);
            ConcurrentLinkedQueue<JsonNode> signedBeforeStop = new ConcurrentLinkedQueue<>();
            AtomicInteger unsignedAfterStop = new AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
            try {
                Future<?> stopper = pool.submit(() -> {
                    stopAt.await();
                    f.crypto.stop();
                    stopped.set(true);
                    return null;
                });
                List<Future<?>> clients = new java.util.ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    clients.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            AuthorizationRequest request = DemoRequests.random();
                            boolean afterStop = stopped.get();
                            Http.Response r = f.http.post("/v1/authorize", DemoRequests.json(request));

                            assertThat(r.status()).as("status for %s", request).isEqualTo(200);
                            assertMatchesOracle(request, r.body());
                            if (!afterStop && r.body().has("signature") && signedBeforeStop.size() < 20) {
                                signedBeforeStop.add(r.body());
                            }
                            if (afterStop && !r.body().has("signature")) {
                                unsignedAfterStop.incrementAndGet();
                            }
                            done.incrementAndGet();
                            stopAt.countDown();
                        }
                        return null;
                    }));
                }
                for (Future<?> c : clients) {
                    c.get();
                }
                stopper.get();
            } finally {
                pool.shutdownNow();
            }

            assertThat(done.get()).isEqualTo(threads * perThread);
            assertThat(signedBeforeStop).as("decisions signed while the service was up").isNotEmpty();
            assertThat(unsignedAfterStop.get()).as("decisions returned unsigned after the stop").isPositive();
            assertThat(f.iam.meters().find("keyline.iam.crypto.fallback").tag("operation", "sign").counter().count()).isPositive();
            // Public keys seen before the stop are cached: decisions signed then still verify locally.
            Http.Response verified = f.http.post("/v1/decisions/verify", signedBeforeStop.peek());
            assertThat(verified.body().get("valid").asBoolean()).isTrue();
            JsonNode health = f.http.get("/health").body();
            assertThat(health.get("status").asText()).isEqualTo("DEGRADED");
        }
    }

    @Test
    void authorize_cryptoDownWithSkip_answersCorrectlyUnsignedAndStoresNothingInL2_I6() {
        Http http = new Http(skipServer.baseUrl(), token);
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(DemoRequests.gen()).checkAssert(request -> {
            examples.ran();
            Http.Response r = http.post("/v1/authorize", DemoRequests.json(request));

            assertThat(r.status()).isEqualTo(200);
            assertMatchesOracle(request, r.body());
            assertThat(r.body().has("signature")).isFalse();
            assertThat(r.body().has("key_id")).isFalse();
        });
        examples.assertAtLeast(100);
        assertThat(skipRedis.keys()).as("L2 entries written without encryption under SKIP").isEmpty();
        assertThat(skipServer.meters().find("keyline.iam.crypto.fallback").tag("operation", "encrypt").counter().count()).isPositive();
        assertThat(skipServer.meters().find("keyline.iam.crypto.fallback").tag("operation", "sign").counter().count()).isPositive();
    }

    @Test
    void authorize_cryptoDownWithPlaintext_storesPlaintextEntriesAndWarnsWithTheCorrelationId_I6() {
        Logger logger = (Logger) LoggerFactory.getLogger(EncryptedDecisionCache.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            Http http = new Http(plainServer.baseUrl(), token);
            AuthorizationRequest request = DemoRequests.of("bob", "write", "roadmap", 4242);

            Http.Response r = http.post("/v1/authorize", DemoRequests.json(request), Map.of("x-correlation-id", "corr-plaintext-1"));

            assertThat(r.status()).isEqualTo(200);
            assertMatchesOracle(request, r.body());
            assertThat(events.list).anySatisfy(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("WARN");
                assertThat(e.getKeyValuePairs()).anySatisfy(kv -> {
                    assertThat(kv.key).isEqualTo("correlation_id");
                    assertThat(kv.value).isEqualTo("corr-plaintext-1");
                });
            });
            Map<String, byte[]> stored = plainRedis.entries();
            assertThat(stored).hasSize(1);
            String entry = new String(stored.values().iterator().next(), StandardCharsets.UTF_8);
            assertThat(entry).contains("\"format\":\"plaintext-v2\"").contains("\"mac\":").doesNotContain("bob").doesNotContain("roadmap");
            assertThat(plainServer.meters().find("keyline.iam.crypto.fallback").tag("operation", "encrypt").counter().count()).isPositive();
            // The plaintext entry serves the next lookup once L1 is gone.
            plainServer.authorizer().cache().clearL1();
            assertThat(http.post("/v1/authorize", DemoRequests.json(request)).body().get("cached").asBoolean()).isTrue();
        } finally {
            logger.detachAppender(events);
        }
    }

    @Test
    void health_cryptoServiceUnavailable_isDegradedNeverDown_I11() {
        Http http = new Http(skipServer.baseUrl(), token);
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(DemoRequests.gen()).checkAssert(request -> {
            examples.ran();
            http.post("/v1/authorize", DemoRequests.json(request));

            Http.Response h = http.get("/health");

            assertThat(h.status()).isEqualTo(200);
            assertThat(h.body().get("status").asText()).isEqualTo("DEGRADED");
            assertThat(h.body().at("/checks/crypto_service/status").asText()).isEqualTo("DEGRADED");
            assertThat(h.body().at("/checks/policies/status").asText()).isEqualTo("UP");
        });
        examples.assertAtLeast(100);
    }
}
