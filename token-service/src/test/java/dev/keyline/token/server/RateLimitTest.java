package dev.keyline.token.server;

import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.ResilienceSettings;
import dev.keyline.token.Http;
import dev.keyline.token.TokenServerFixture;
import dev.keyline.testsupport.CryptoServiceFixture;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T14, rate limiting, through a running token service configured from its variables: once the
 * crypto client's permits ({@code KEYLINE_TOKEN_CRYPTO_RATE_LIMIT} per
 * {@code KEYLINE_TOKEN_CRYPTO_RATE_LIMIT_PERIOD}) are spent, token requests get a typed 503
 * {@code temporarily_unavailable} (never a 500), and the crypto service sees no further RPC.
 */
class RateLimitTest {
    @TempDir
    Path dir;

    Map<String, String> env(CryptoServiceFixture crypto) {
        Map<String, String> env = new HashMap<>();
        env.put("KEYLINE_DATA_DIR", dir.resolve("data").toString());
        env.put("KEYLINE_TOKEN_CRYPTO_ENDPOINT", crypto.endpoint());
        env.put("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", TokenServerFixture.serviceToken(crypto));
        return env;
    }

    @Test
    void issue_beyondTheConfiguredRateLimit_isTyped503WithoutAnRpcAndNever500() throws Exception {
        AtomicInteger rpcs = new AtomicInteger();
        ServerInterceptor counting = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                rpcs.incrementAndGet();
                return next.startCall(call, headers);
            }
        };
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"), List.of(counting))) {
            Map<String, String> env = env(crypto);
            env.put("KEYLINE_TOKEN_CRYPTO_RATE_LIMIT", "25");
            env.put("KEYLINE_TOKEN_CRYPTO_RATE_LIMIT_PERIOD", "PT1H");
            CryptoClientConfig client = TokenServerConfig.fromEnvironment(env).crypto().orElseThrow();
            assertThat(client.rateLimitPerPeriod()).isEqualTo(25);
            assertThat(client.rateLimitPeriod()).isEqualTo(Duration.ofHours(1));

            try (TokenServer server = TokenServerFixture.start(crypto, dir, b -> b.crypto(client))) {
                Http http = new Http(server.baseUrl());
                int signedByCrypto = 0;
                HttpResponse<String> refused = null;
                for (int i = 0; i < 60 && refused == null; i++) {
                    HttpResponse<String> r = clientCredentials(http, "svc", Map.of());
                    if (r.statusCode() == 200) {
                        assertThat(SignedJWT.parse(json(r).path("access_token").asText()).getHeader().getKeyID()).isEqualTo("token/jwt-signing/1");
                        signedByCrypto++;
                    } else {
                        refused = r;
                    }
                }
                assertThat(signedByCrypto).isPositive();
                assertThat(refused).as("the limit of 25 calls per hour was never reached in 60 requests").isNotNull();
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
                assertThat(json(refused).path("error").asText()).isEqualTo("temporarily_unavailable");
                assertThat(json(refused).path("error_description").asText()).contains("rate limited");

                int rpcsAtLimit = rpcs.get();
                for (int i = 0; i < 10; i++) {
                    HttpResponse<String> r = clientCredentials(http, "svc", Map.of());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                }
                assertThat(rpcs.get()).as("RPCs after the limit was reached").isEqualTo(rpcsAtLimit);
                assertThat(server.meters().scrape()).containsPattern("rate_limited_total\\{[^}]*\\} ([1-9][0-9]*)\\.0");
            }
        }
    }

    @Test
    void fromEnvironment_noResilienceSettings_limiterOnWithTheServiceDefaults() {
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"))) {
            CryptoClientConfig c = TokenServerConfig.fromEnvironment(env(crypto)).crypto().orElseThrow();
            ResilienceSettings d = ResilienceSettings.SERVICE_DEFAULTS;
            assertThat(c.rateLimitPerPeriod()).isEqualTo(d.rateLimit()).isPositive();
            assertThat(c.rateLimitPeriod()).isEqualTo(d.rateLimitPeriod());
            assertThat(c.failureRateThreshold()).isEqualTo(d.circuitFailureRate());
            assertThat(c.slidingWindowSize()).isEqualTo(d.circuitWindow());
            assertThat(c.waitDurationInOpenState()).isEqualTo(d.circuitOpenWait());
            assertThat(c.maxAttempts()).isEqualTo(d.retryMaxAttempts());
        }
    }

    @Test
    void fromEnvironment_resilienceSettings_setTheClientAndEveryBadOneIsNamed() {
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"))) {
            Map<String, String> env = env(crypto);
            env.put("KEYLINE_TOKEN_CRYPTO_CIRCUIT_FAILURE_RATE", "25.5");
            env.put("KEYLINE_TOKEN_CRYPTO_CIRCUIT_WINDOW", "40");
            env.put("KEYLINE_TOKEN_CRYPTO_CIRCUIT_MIN_CALLS", "8");
            env.put("KEYLINE_TOKEN_CRYPTO_CIRCUIT_OPEN_WAIT", "PT10S");
            env.put("KEYLINE_TOKEN_CRYPTO_CIRCUIT_HALF_OPEN_CALLS", "2");
            env.put("KEYLINE_TOKEN_CRYPTO_RETRY_MAX_ATTEMPTS", "5");
            env.put("KEYLINE_TOKEN_CRYPTO_RETRY_INITIAL_BACKOFF", "PT0.01S");
            env.put("KEYLINE_TOKEN_CRYPTO_RETRY_MAX_BACKOFF", "PT0.5S");
            CryptoClientConfig c = TokenServerConfig.fromEnvironment(env).crypto().orElseThrow();
            assertThat(c.failureRateThreshold()).isEqualTo(25.5f);
            assertThat(c.slidingWindowSize()).isEqualTo(40);
            assertThat(c.minimumNumberOfCalls()).isEqualTo(8);
            assertThat(c.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(10));
            assertThat(c.permittedCallsInHalfOpenState()).isEqualTo(2);
            assertThat(c.maxAttempts()).isEqualTo(5);

            Map<String, String> bad = env(crypto);
            bad.put("KEYLINE_TOKEN_CRYPTO_RATE_LIMIT", "-1");
            bad.put("KEYLINE_TOKEN_CRYPTO_RATE_LIMIT_PERIOD", "soon");
            bad.put("KEYLINE_TOKEN_CRYPTO_CIRCUIT_FAILURE_RATE", "150");
            bad.put("KEYLINE_TOKEN_CRYPTO_CIRCUIT_WINDOW", "0");
            bad.put("KEYLINE_TOKEN_CRYPTO_RETRY_MAX_ATTEMPTS", "many");
            bad.put("KEYLINE_TOKEN_CRYPTO_RETRY_INITIAL_BACKOFF", "PT2S");
            bad.put("KEYLINE_TOKEN_CRYPTO_RETRY_MAX_BACKOFF", "PT1S");
            assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(bad)).isInstanceOfSatisfying(dev.keyline.kit.config.ConfigException.class,
                    e -> assertThat(e.problems())
                            .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_CRYPTO_RATE_LIMIT: must be 0 (off) or positive"))
                            .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_CRYPTO_RATE_LIMIT_PERIOD: 'soon' is not an ISO-8601 duration"))
                            .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_CRYPTO_CIRCUIT_FAILURE_RATE: must be a percentage"))
                            .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_CRYPTO_CIRCUIT_WINDOW: must be between 1 and 10000"))
                            .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_CRYPTO_RETRY_MAX_ATTEMPTS: 'many' is not an integer"))
                            .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_CRYPTO_RETRY_MAX_BACKOFF: must be at least initialBackoff"))
                            .noneSatisfy(x -> assertThat(x).startsWith("crypto client: ")));
        }
    }
}
