package dev.keyline.iam.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.iam.cache.CryptoFallback;
import dev.keyline.iam.testing.PolicyDirs;
import dev.keyline.kit.config.ConfigException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration validation: every problem named, at once; the environment form parses and documents itself. */
class IamServerConfigTest {
    @TempDir
    Path tmp;

    private IamServerConfig.Builder valid() {
        return IamServerConfig.defaults(tmp).policyDir(PolicyDirs.demo(tmp)).cryptoToken("kl_test-token");
    }

    @Test
    void validate_defaultsWithPoliciesAndToken_hasNoProblem() {
        assertThat(valid().build().validate()).isEmpty();
    }

    @Test
    void validate_manyBadSettings_listsEveryProblemByName() {
        IamServerConfig c = IamServerConfig.defaults(tmp).policyDir(tmp.resolve("missing")).httpPort(70000).batchMaxItems(0)
                .l1Ttl(Duration.ZERO).redis("http://nope", "").cacheHmacKey(SecretBytes.copyOf(new byte[5]))
                .signingKeyId("not a key id").adminToken(SecretBytes.copyOf("short".getBytes(StandardCharsets.UTF_8))).build();

        List<String> problems = c.validate();

        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("httpPort:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("batchMaxItems:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("policyDir:").contains("missing"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("l1Ttl:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("redisUrl:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("redisKeyPrefix:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("cacheHmacKey:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("signingKeyId:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("adminToken:"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("crypto.authToken:"));
        assertThat(String.join(" ", problems)).doesNotContain("short");
    }

    @Test
    void validate_encryptionOrSigningWithoutTheCryptoService_isAProblem() {
        List<String> problems = valid().cryptoEnabled(false).build().validate();

        assertThat(problems).containsExactlyInAnyOrder("cacheEncryption: needs the crypto service (cryptoEnabled is off)",
                "decisionSigning: needs the crypto service (cryptoEnabled is off)");
        assertThat(valid().cryptoEnabled(false).cacheEncryption(false).decisionSigning(false).build().validate()).isEmpty();
    }

    @Test
    void start_invalidConfiguration_failsWithAConfigExceptionListingTheProblems() {
        IamServerConfig c = valid().batchMaxItems(0).httpPort(-1).build();

        assertThatThrownBy(() -> IamServer.start(c)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.subject()).isEqualTo("IAM policy service");
            assertThat(e.problems()).hasSize(2);
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("batchMaxItems:"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("httpPort:"));
            assertThat(e.getMessage()).contains("2 problems").contains("batchMaxItems").contains("httpPort");
        });
    }

    @Test
    void start_httpPortTaken_failsWithAConfigExceptionNamingHttpPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            IamServerConfig c = local().httpPort(taken.getLocalPort()).managementPort(-1).build();

            assertThatThrownBy(() -> IamServer.start(c)).isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.subject()).isEqualTo("IAM policy service");
                assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p)
                        .startsWith("httpPort: cannot listen on 127.0.0.1:" + taken.getLocalPort()));
            });
        }
    }

    @Test
    void start_managementPortTaken_failsWithAConfigExceptionNamingManagementPort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            IamServerConfig c = local().httpPort(0).managementPort(taken.getLocalPort()).build();

            assertThatThrownBy(() -> IamServer.start(c)).isInstanceOfSatisfying(ConfigException.class, e -> {
                assertThat(e.subject()).isEqualTo("IAM policy service");
                assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p)
                        .startsWith("managementPort: cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (management port)"));
            });
        }
    }

    /** A configuration that starts without the crypto service, Redis or a token service. */
    private IamServerConfig.Builder local() {
        return valid().cryptoEnabled(false).cacheEncryption(false).decisionSigning(false).watchPolicies(false);
    }

    @Test
    void fromEnvironment_everySetting_isRead() {
        Path policies = PolicyDirs.demo(tmp);
        Map<String, String> env = new HashMap<>(Map.ofEntries(Map.entry("KEYLINE_DATA_DIR", tmp.toString()),
                Map.entry("KEYLINE_IAM_HTTP_HOST", "127.0.0.2"), Map.entry("KEYLINE_IAM_HTTP_PORT", "9191"),
                Map.entry("KEYLINE_IAM_MAX_BODY_BYTES", "4096"), Map.entry("KEYLINE_IAM_BATCH_MAX_ITEMS", "7"),
                Map.entry("KEYLINE_IAM_POLICY_DIR", policies.toString()), Map.entry("KEYLINE_IAM_POLICY_WATCH", "false"),
                Map.entry("KEYLINE_IAM_ADMIN_TOKEN", "0123456789abcdef0123"), Map.entry("KEYLINE_IAM_CACHE_L1_MAX_ENTRIES", "12"),
                Map.entry("KEYLINE_IAM_CACHE_L1_TTL", "PT3S"), Map.entry("KEYLINE_IAM_CACHE_L2", "redis"),
                Map.entry("KEYLINE_IAM_CACHE_L2_TTL", "PT9M"), Map.entry("KEYLINE_IAM_CACHE_L2_MAX_ENTRIES", "99"),
                Map.entry("KEYLINE_IAM_REDIS_URL", "redis://127.0.0.1:6380/2"), Map.entry("KEYLINE_IAM_REDIS_KEY_PREFIX", "p:"),
                Map.entry("KEYLINE_IAM_REDIS_TIMEOUT", "PT1S"), Map.entry("KEYLINE_IAM_CACHE_ENCRYPTION", "true"),
                Map.entry("KEYLINE_IAM_CRYPTO_FALLBACK", "skip"),
                Map.entry("KEYLINE_IAM_CACHE_HMAC_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                Map.entry("KEYLINE_IAM_CRYPTO_ENABLED", "yes"), Map.entry("KEYLINE_IAM_CRYPTO_ENDPOINT", "127.0.0.1:1, 127.0.0.1:2"),
                Map.entry("KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_abc"), Map.entry("KEYLINE_IAM_CRYPTO_TIMEOUT", "PT4S"),
                Map.entry("KEYLINE_IAM_ENCRYPTION_KEY_ID", "iam/enc"), Map.entry("KEYLINE_IAM_SIGNING_KEY_ID", "iam/sig/3"),
                Map.entry("KEYLINE_IAM_DECISION_SIGNING", "on"), Map.entry("KEYLINE_IAM_PROVISION_KEYS", "off")));

        IamServerConfig c = IamServerConfig.fromEnvironment(env);

        assertThat(c.httpHost()).isEqualTo("127.0.0.2");
        assertThat(c.httpPort()).isEqualTo(9191);
        assertThat(c.maxBodyBytes()).isEqualTo(4096);
        assertThat(c.batchMaxItems()).isEqualTo(7);
        assertThat(c.policyDir()).isEqualTo(policies);
        assertThat(c.watchPolicies()).isFalse();
        assertThat(c.adminToken().size()).isEqualTo(20);
        assertThat(c.l1MaxEntries()).isEqualTo(12);
        assertThat(c.l1Ttl()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.l2Backend()).isEqualTo(IamServerConfig.L2Backend.REDIS);
        assertThat(c.l2Ttl()).isEqualTo(Duration.ofMinutes(9));
        assertThat(c.l2MemoryMaxEntries()).isEqualTo(99);
        assertThat(c.redisUrl()).isEqualTo("redis://127.0.0.1:6380/2");
        assertThat(c.redisKeyPrefix()).isEqualTo("p:");
        assertThat(c.redisTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.cryptoFallback()).isEqualTo(CryptoFallback.SKIP);
        assertThat(c.cacheHmacKey().size()).isEqualTo(32);
        assertThat(c.cryptoEndpoints()).containsExactly("127.0.0.1:1", "127.0.0.1:2");
        assertThat(c.cryptoTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.encryptionKeyId()).isEqualTo("iam/enc");
        assertThat(c.signingKeyId()).isEqualTo("iam/sig/3");
        assertThat(c.provisionKeys()).isFalse();
        assertThat(c.toString()).doesNotContain("kl_abc").doesNotContain("0123456789abcdef0123");
    }

    @Test
    void fromEnvironment_noTokenSet_readsTheDataDirectorysAdminTokenLikeTheTokenService() throws Exception {
        java.nio.file.Files.writeString(tmp.resolve("admin.token"), "kl_from-file\n");
        Map<String, String> env = Map.of("KEYLINE_DATA_DIR", tmp.toString(), "KEYLINE_IAM_POLICY_DIR", PolicyDirs.demo(tmp).toString());

        IamServerConfig c = IamServerConfig.fromEnvironment(env);

        assertThat(c.cryptoToken()).isEqualTo(SecretBytes.copyOf("kl_from-file".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void fromEnvironment_unreadableValues_failOnceListingEachVariable() {
        Map<String, String> env = Map.of("KEYLINE_DATA_DIR", tmp.toString(), "KEYLINE_IAM_HTTP_PORT", "eighty",
                "KEYLINE_IAM_CACHE_L1_TTL", "30s", "KEYLINE_IAM_CACHE_L2", "disk", "KEYLINE_IAM_CRYPTO_FALLBACK", "maybe",
                "KEYLINE_IAM_POLICY_WATCH", "sometimes", "KEYLINE_IAM_CACHE_HMAC_KEY", "%%%secret%%%");

        assertThatThrownBy(() -> IamServerConfig.fromEnvironment(env)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.subject()).isEqualTo("IAM policy service");
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_HTTP_PORT:"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_CACHE_L1_TTL:"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_CACHE_L2:"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_CRYPTO_FALLBACK:"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_POLICY_WATCH:"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_CACHE_HMAC_KEY:"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("policyDir:"));
            assertThat(e.getMessage()).doesNotContain("%%%secret%%%");
        });
    }

    /** Every one of the nine malformed ids, enumerated (a sampled pick over nine values would run at most nine). */
    @Test
    void validate_anyInvalidKeyId_isNamed() {
        List<String> ids = List.of("", "/", "iam", "iam/", "/x", "iam/x/y/z", "iam/x/-1", "IAM X/y", "iam/x/v2");
        for (String id : ids) {
            assertThat(valid().encryptionKeyId(id).build().validate()).as(id).anySatisfy(p -> assertThat(p).startsWith("encryptionKeyId:"));
            assertThat(valid().signingKeyId(id).build().validate()).as(id).anySatisfy(p -> assertThat(p).startsWith("signingKeyId:"));
        }
    }

    @Test
    void fromEnvironment_keyCacheTtlAndResilience_reachTheCryptoClient() {
        Map<String, String> env = new HashMap<>(Map.of("KEYLINE_DATA_DIR", tmp.toString(), "KEYLINE_IAM_POLICY_DIR", PolicyDirs.demo(tmp).toString(),
                "KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_test-token"));
        var defaults = IamServerConfig.fromEnvironment(env).cryptoClientConfig();
        assertThat(defaults.keyMetadataTtl()).isEqualTo(IamServerConfig.DEFAULT_KEY_CACHE_TTL);
        assertThat(defaults.rateLimitPerPeriod()).isEqualTo(dev.keyline.crypto.client.ResilienceSettings.SERVICE_DEFAULTS.rateLimit()).isPositive();

        env.put("KEYLINE_IAM_KEY_CACHE_TTL", "PT5M");
        env.put("KEYLINE_IAM_CRYPTO_RATE_LIMIT", "300");
        env.put("KEYLINE_IAM_CRYPTO_RATE_LIMIT_PERIOD", "PT2S");
        env.put("KEYLINE_IAM_CRYPTO_CIRCUIT_OPEN_WAIT", "PT45S");
        env.put("KEYLINE_IAM_CRYPTO_RETRY_MAX_ATTEMPTS", "1");
        var c = IamServerConfig.fromEnvironment(env).cryptoClientConfig();
        assertThat(c.keyMetadataTtl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.rateLimitPerPeriod()).isEqualTo(300);
        assertThat(c.rateLimitPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.maxAttempts()).isEqualTo(1);
    }

    @Test
    void fromEnvironment_badKeyCacheTtlOrResilience_failsOnceNamingEachVariable() {
        Map<String, String> env = new HashMap<>(Map.of("KEYLINE_DATA_DIR", tmp.toString(), "KEYLINE_IAM_POLICY_DIR", PolicyDirs.demo(tmp).toString(),
                "KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_test-token", "KEYLINE_IAM_KEY_CACHE_TTL", "P2D", "KEYLINE_IAM_CRYPTO_RATE_LIMIT", "-5",
                "KEYLINE_IAM_CRYPTO_CIRCUIT_MIN_CALLS", "100", "KEYLINE_IAM_CRYPTO_RETRY_INITIAL_BACKOFF", "quick"));
        assertThatThrownBy(() -> IamServerConfig.fromEnvironment(env)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.subject()).isEqualTo("IAM policy service");
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("keyCacheTtl: must be positive and at most PT24H"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_CRYPTO_RATE_LIMIT: must be 0 (off) or positive"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_CRYPTO_CIRCUIT_MIN_CALLS: must not exceed"));
            assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("KEYLINE_IAM_CRYPTO_RETRY_INITIAL_BACKOFF: 'quick'"));
        });
        assertThat(valid().keyCacheTtl(Duration.ZERO).build().validate()).anySatisfy(p -> assertThat(p).startsWith("keyCacheTtl:"));
    }
}
