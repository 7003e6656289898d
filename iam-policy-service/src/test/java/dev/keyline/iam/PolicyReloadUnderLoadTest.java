package dev.keyline.iam;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.policy.CedarPolicyEngine;
import dev.keyline.iam.server.IamServer;
import dev.keyline.iam.server.IamServerConfig;
import dev.keyline.iam.testing.DemoRequests;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.PolicyDirs;
import dev.keyline.iam.testing.Tokens;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads under load: two policy sets that answer differently (plus an invalid one) are swapped in
 * and out while clients send requests over HTTP. Every answer must be exactly what one complete set
 * answers, the set its {@code policy_version} names — never a mix, never a cached answer of the
 * other set.
 */
class PolicyReloadUnderLoadTest {
    private static final String ADMIN = "reload-admin-token-000000";
    private static final String ENTITIES = """
            [
              {"uid":{"type":"Role","id":"viewer"},"attrs":{},"parents":[]},
              {"uid":{"type":"Role","id":"admin"},"attrs":{},"parents":[{"type":"Role","id":"viewer"}]},
              {"uid":{"type":"User","id":"alice"},"attrs":{},"parents":[{"type":"Role","id":"admin"}]},
              {"uid":{"type":"User","id":"carol"},"attrs":{},"parents":[{"type":"Role","id":"viewer"}]}
            ]""";
    private static final String SET_A = """
            @id("a-viewers-read") permit(principal in Role::"viewer", action == Action::"read", resource);
            @id("a-no-writes") forbid(principal, action == Action::"write", resource);
            @id("a-admins-delete") permit(principal in Role::"admin", action == Action::"delete", resource);
            """;
    private static final String SET_B = """
            @id("b-everyone-writes") permit(principal, action == Action::"write", resource);
            @id("b-no-reads") forbid(principal, action == Action::"read", resource) unless { principal in Role::"admin" };
            @id("b-admins-all") permit(principal in Role::"admin", action, resource);
            """;

    @TempDir
    Path tmp;

    @Test
    void authorize_whilePolicySetsSwap_everyAnswerMatchesTheCompleteSetItsVersionNames() throws Exception {
        CedarPolicyEngine oracleA = CedarPolicyEngine.load(PolicyDirs.of(tmp.resolve("a/policies"), Map.of("entities.json", ENTITIES,
                "policies.cedar", SET_A)), InstantSource.system());
        CedarPolicyEngine oracleB = CedarPolicyEngine.load(PolicyDirs.of(tmp.resolve("b/policies"), Map.of("entities.json", ENTITIES,
                "policies.cedar", SET_B)), InstantSource.system());
        Map<String, CedarPolicyEngine> oracles = Map.of(oracleA.current().version(), oracleA, oracleB.current().version(), oracleB);
        Path live = PolicyDirs.of(tmp.resolve("live/policies"), Map.of("entities.json", ENTITIES, "policies.cedar", SET_A));
        Tokens tokens = new Tokens();
        IamServerConfig config = IamServerConfig.defaults(tmp.resolve("live")).httpPort(0).managementPort(0).authJwksUrl(tokens.jwksUrl())
                .authIssuer(Tokens.ISSUER).policyDir(live).watchPolicies(false)
                .cryptoEnabled(false).cacheEncryption(false).decisionSigning(false).l1(10_000, Duration.ofMinutes(5))
                .adminToken(SecretBytes.copyOf(ADMIN.getBytes(StandardCharsets.UTF_8))).build();

        try (tokens; IamServer server = IamServer.start(config)) {
            Http http = new Http(server.baseUrl(), tokens.mint("reload-test", "iam:authorize"));
            AtomicBoolean running = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
            Map<String, AtomicInteger> answersByVersion = new ConcurrentHashMap<>();
            AtomicInteger loaded = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(5);
            try {
                List<Future<?>> clients = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    clients.add(pool.submit(() -> {
                        while (running.get()) {
                            AuthorizationRequest request = DemoRequests.random();
                            Http.Response r = http.post("/v1/authorize", DemoRequests.json(request));
                            check(r, request, oracles, mismatches, answersByVersion);
                        }
                        return null;
                    }));
                }
                Future<?> reloader = pool.submit(() -> {
                    String[] sets = {SET_B, SET_A, "this is not a policy", SET_B, SET_A};
                    long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                    for (int i = 0; System.nanoTime() < end; i++) {
                        PolicyDirs.replaceAtomically(live, "policies.cedar", sets[i % sets.length]);
                        Http.Response r = http.post("/v1/policies/reload", "", Map.of("Authorization", "Bearer " + ADMIN));
                        (r.status() == 200 ? loaded : refused).incrementAndGet();
                        Thread.sleep(15);
                    }
                    running.set(false);
                    return null;
                });
                reloader.get();
                for (Future<?> c : clients) {
                    c.get();
                }
            } finally {
                running.set(false);
                pool.shutdownNow();
            }

            assertThat(mismatches).as("answers that match no complete policy set").isEmpty();
            assertThat(answersByVersion.keySet()).as("versions seen in answers").containsExactlyInAnyOrderElementsOf(oracles.keySet());
            assertThat(answersByVersion.values()).allSatisfy(n -> assertThat(n.get()).isGreaterThan(20));
            assertThat(loaded.get()).isGreaterThan(10);
            assertThat(refused.get()).as("invalid sets refused").isGreaterThan(2);
        }
    }

    private static void check(Http.Response r, AuthorizationRequest request, Map<String, CedarPolicyEngine> oracles,
            ConcurrentLinkedQueue<String> mismatches, Map<String, AtomicInteger> byVersion) {
        if (r.status() != 200) {
            mismatches.add("status " + r.status() + " for " + request + ": " + r.raw());
            return;
        }
        JsonNode b = r.body();
        String version = b.get("policy_version").asText();
        CedarPolicyEngine oracle = oracles.get(version);
        if (oracle == null) {
            mismatches.add("unknown version " + version + " for " + request);
            return;
        }
        Evaluation expected = oracle.evaluate(request);
        if (expected.allowed() != b.get("allowed").asBoolean() || !expected.policyName().equals(b.get("policy_name").asText())) {
            mismatches.add(request + " under " + version + ": expected " + expected.allowed() + "/" + expected.policyName() + ", got "
                    + b.get("allowed") + "/" + b.get("policy_name") + (b.get("cached").asBoolean() ? " (cached)" : ""));
        }
        byVersion.computeIfAbsent(version, v -> new AtomicInteger()).incrementAndGet();
    }
}
