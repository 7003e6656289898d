package dev.keyline.iam.server;

import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.IamException;
import dev.keyline.iam.auth.BearerAuthenticator;
import dev.keyline.iam.authorizer.Authorizer;
import dev.keyline.iam.cache.CacheKeys;
import dev.keyline.iam.cache.CacheStorage;
import dev.keyline.iam.cache.DecisionCache;
import dev.keyline.iam.cache.InMemoryCacheStorage;
import dev.keyline.iam.cache.RedisCacheStorage;
import dev.keyline.iam.health.IamHealth;
import dev.keyline.iam.http.IamHttpApi;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.iam.policy.CedarPolicyEngine;
import dev.keyline.iam.policy.PolicyEngine;
import dev.keyline.iam.policy.PolicyWatcher;
import dev.keyline.iam.policy.ReloadResult;
import dev.keyline.iam.signing.DecisionSigner;
import dev.keyline.kit.AdminToken;
import dev.keyline.kit.Health;
import dev.keyline.kit.RuntimeFlags;
import dev.keyline.kit.config.ConfigException;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running IAM policy service: the Cedar policy engine over the policy directory (watched), the
 * decision cache (L1 Caffeine, L2 in memory or Redis, encrypted through the crypto service), the
 * decision signer and the HTTP API. Start it with {@link #start(IamServerConfig)} (it connects to
 * the crypto service itself) or {@link #builder(IamServerConfig)} with an existing
 * {@link CryptoClient} (one JVM with the crypto service: {@code keyline up}). {@link #close()}
 * stops the HTTP server, the watcher and everything this server opened.
 *
 * <p>Start needs a valid configuration and a valid policy directory; it does not need the crypto
 * service (it starts DEGRADED and provisions its keys once the service answers), but it does need
 * Redis to answer when L2 is Redis.
 */
public final class IamServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IamServer.class);

    private final IamServerConfig config;
    private final PrometheusMeterRegistry meters;
    private final CedarPolicyEngine engine;
    private final Authorizer authorizer;
    private final IamHealth health;
    private final Javalin http;
    private final Optional<Javalin> management;
    private final Deque<AutoCloseable> resources;
    private final RuntimeFlags flags;

    /** The run-time flag that turns decision signing on and off. */
    public static final String SIGNING_FLAG = "decision_signing";
    /** The run-time flag that turns L2 entry encryption on and off. */
    public static final String ENCRYPTION_FLAG = "cache_encryption";
    public static final String ON = "on";
    public static final String OFF = "off";

    private IamServer(Builder b) {
        this.config = b.config;
        List<String> problems = config.problems(b.cryptoClient == null);
        if (!problems.isEmpty()) {
            throw new ConfigException(IamServerConfig.SUBJECT, problems);
        }
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        boolean started = false;
        try {
            this.meters = b.meters != null ? b.meters : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            if (b.meters == null) {
                new JvmMemoryMetrics().bindTo(meters);
            }
            IamMetrics metrics = new IamMetrics(meters);
            this.engine = CedarPolicyEngine.load(config.policyDir(), b.clock);

            CryptoClient client = null;
            if (config.cryptoEnabled()) {
                if (b.cryptoClient != null) {
                    client = b.cryptoClient;
                } else {
                    CryptoClientConfig cc = config.cryptoClientConfig();
                    try {
                        client = CryptoClientFactory.builder(cc).meterRegistry(meters).clock(b.clock).build();
                    } catch (CryptoException e) {
                        // validate() checked the client's settings; what is left is files it cannot load (TLS).
                        throw e.reason() == CryptoException.Reason.INVALID_CONFIG ? ConfigException.of(IamServerConfig.SUBJECT,
                                "KEYLINE_IAM_CRYPTO_TLS_CA/CERT/KEY: " + e.getMessage(), e) : e;
                    }
                    opened.push(client);
                }
                // Both keys whatever the flags say at start: either flag may be switched on at run time.
                Map<KeyId, KeyAlgorithm> keys = new LinkedHashMap<>();
                keys.put(KeyId.parse(config.signingKeyId()), KeyAlgorithm.ECDSA_P256_SHA256);
                if (config.l2Backend() != IamServerConfig.L2Backend.OFF) {
                    keys.put(KeyId.parse(config.encryptionKeyId()), KeyAlgorithm.AES_256_GCM);
                }
                if (config.provisionKeys() && !keys.isEmpty()) {
                    KeyProvisioner provisioner = new KeyProvisioner(client, keys, Duration.ofSeconds(5));
                    opened.push(provisioner);
                    provisioner.start();
                }
            }

            // T11: decision signing and L2 encryption are flags an operator switches at run time
            // (/admin/flags on the management port); "on" is offered only when the crypto service is.
            boolean l2 = config.l2Backend() != IamServerConfig.L2Backend.OFF;
            String signingNow = config.decisionSigning() ? ON : OFF;
            String encryptionNow = config.cacheEncryption() ? ON : OFF;
            PrometheusMeterRegistry flagMeters = meters;
            this.flags = RuntimeFlags.builder("iam-policy-service")
                    .flag(SIGNING_FLAG, signingNow, client != null ? List.of(ON, OFF) : List.of(signingNow))
                    .flag(ENCRYPTION_FLAG, encryptionNow, client != null && l2 ? List.of(ON, OFF) : List.of(encryptionNow))
                    .onChange(c -> io.micrometer.core.instrument.Counter.builder("keyline.iam.flag.changes")
                            .description("feature flag changes accepted at run time").tag("flag", c.flag()).tag("to", c.to())
                            .register(flagMeters).increment())
                    .build();
            RuntimeFlags flagsNow = flags;

            CacheKeys cacheKeys;
            if (config.cacheHmacKey().size() > 0) {
                cacheKeys = CacheKeys.of(config.cacheHmacKey());
            } else {
                cacheKeys = CacheKeys.random(b.random);
                if (config.l2Backend() == IamServerConfig.L2Backend.REDIS) {
                    LOG.warn("no cache HMAC key is configured (KEYLINE_IAM_CACHE_HMAC_KEY): this replica's L2 entries are private to it");
                }
            }
            DecisionCache.Builder cache = DecisionCache.builder(metrics).clock(b.clock).l1(config.l1MaxEntries(), config.l1Ttl())
                    .entryMac(cacheKeys.entryMac());
            CacheStorage storage = switch (config.l2Backend()) {
                case MEMORY -> new InMemoryCacheStorage(config.l2MemoryMaxEntries(), b.clock);
                case REDIS -> RedisCacheStorage.connect(config.redisUrl(), config.redisKeyPrefix(), config.redisTimeout());
                case OFF -> null;
            };
            if (storage != null) {
                cache.l2(storage, config.l2Ttl());
                if (client != null) {
                    // Built whatever the flag says at start (it makes no RPC until used), so switching it on needs no restart.
                    EnvelopeEncryptor envelopes = EnvelopeEncryptor.builder(client, KeyId.parse(config.encryptionKeyId())).clock(b.clock)
                            .meterRegistry(meters).clientName("iam-policy-service").context("keyline-iam-decision-cache")
                            .maxAge(Duration.ofMinutes(5)).refreshBefore(Duration.ofSeconds(30)).build();
                    cache.encrypted(envelopes, config.cryptoFallback()).encryptWhen(() -> flagsNow.is(ENCRYPTION_FLAG, ON));
                }
            }
            DecisionCache decisionCache = cache.build();
            opened.push(decisionCache);
            Optional<DecisionSigner> signer = client != null
                    ? Optional.of(new DecisionSigner(client, KeyId.parse(config.signingKeyId()), metrics, b.clock)) : Optional.empty();
            this.authorizer = new Authorizer(engine, decisionCache, cacheKeys, signer, metrics, b.clock, UUID::randomUUID, config.decisionTtl(),
                    () -> flagsNow.is(SIGNING_FLAG, ON));
            this.health = new IamHealth(engine, Optional.ofNullable(client), decisionCache.l2Storage());

            Optional<SecretBytes> adminToken = config.adminToken().size() > 0 ? Optional.of(config.adminToken()) : Optional.empty();
            BearerAuthenticator auth = b.callerKeys != null
                    ? new BearerAuthenticator(b.callerKeys, config.authIssuer(), config.authAudience(), b.clock, adminToken)
                    : BearerAuthenticator.fromJwksUrl(URI.create(config.authJwksUrl()), config.authIssuer(), config.authAudience(),
                            config.authJwksCacheTtl(), b.clock, adminToken);
            IamHttpApi api = new IamHttpApi(authorizer, health, metrics, meters::scrape, auth, config.batchMaxItems(), b.tracing);
            if (config.watchPolicies()) {
                opened.push(PolicyWatcher.start(engine, config.policyDir(), config.watchQuietPeriod(), r -> metrics.reload(switch (r) {
                    case ReloadResult.Loaded l -> "loaded";
                    case ReloadResult.Unchanged u -> "unchanged";
                    case ReloadResult.Refused f -> "refused";
                })));
            }
            try {
                this.http = api.start(config.httpHost(), config.httpPort(), config.maxBodyBytes());
            } catch (RuntimeException e) {
                throw ConfigException.of(IamServerConfig.SUBJECT, "httpPort: cannot listen on " + config.httpHost() + ":"
                        + config.httpPort() + ": " + e.getMessage(), e);
            }
            Javalin listening = http;
            opened.push(listening::stop);
            if (config.managementPort() >= 0) {
                try {
                    Javalin m = api.startManagement(config.managementHost(), config.managementPort(), flags, AdminToken.of(adminTokenBytes()));
                    opened.push(m::stop);
                    this.management = Optional.of(m);
                } catch (RuntimeException e) {
                    throw ConfigException.of(IamServerConfig.SUBJECT, "managementPort: cannot listen on "
                            + config.managementHost() + ":" + config.managementPort() + " (management port): " + e.getMessage(), e);
                }
            } else {
                this.management = Optional.empty();
            }
            this.resources = opened;
            started = true;
            LOG.atInfo().addKeyValue("url", baseUrl()).addKeyValue("policy_version", engine.current().version())
                    .log("IAM policy service listening on {} ({})", baseUrl(), config);
        } finally {
            if (!started) {
                closeAll(opened);
            }
        }
    }

    /** Starts with its own crypto client, metrics registry, system clock. */
    public static IamServer start(IamServerConfig config) {
        return builder(config).start();
    }

    public static Builder builder(IamServerConfig config) {
        return new Builder(config);
    }

    public int httpPort() {
        return http.port();
    }

    /** The management port ({@code /metrics}), when it is on. */
    public Optional<Integer> managementPort() {
        return management.map(Javalin::port);
    }

    /** {@code http://host:port} of the management port ({@code /metrics}), when it is on. */
    public Optional<String> managementUrl() {
        return management.map(m -> "http://" + (config.managementHost().contains(":") ? "[" + config.managementHost() + "]"
                : config.managementHost()) + ":" + m.port());
    }

    /** {@code http://host:port}. */
    public String baseUrl() {
        return "http://" + (config.httpHost().contains(":") ? "[" + config.httpHost() + "]" : config.httpHost()) + ":" + httpPort();
    }

    public IamServerConfig config() {
        return config;
    }

    public PolicyEngine policies() {
        return engine;
    }

    public Authorizer authorizer() {
        return authorizer;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    public Health health() {
        return health.check();
    }

    /** The run-time feature flags ({@value #SIGNING_FLAG}, {@value #ENCRYPTION_FLAG}: {@value #ON} or {@value #OFF}). */
    public RuntimeFlags flags() {
        return flags;
    }

    private byte[] adminTokenBytes() {
        return config.adminToken().toByteArray();
    }

    /** Stops the HTTP server (in-flight requests finish), the watcher, the cache and the client this server created. */
    @Override
    public void close() {
        closeAll(resources);
    }

    private static void closeAll(Deque<AutoCloseable> resources) {
        while (!resources.isEmpty()) {
            AutoCloseable r = resources.pop();
            try {
                r.close();
            } catch (Exception e) {
                LOG.atWarn().log("closing {} failed: {}", r.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /**
     * Starts the service on its own from the {@code KEYLINE_*} variables in {@code env}: refuses,
     * on top of {@link IamServerConfig#fromEnvironment}, what {@link IamServerConfig#standaloneProblems()} lists.
     *
     * @throws ConfigException listing every problem of the settings
     */
    static IamServer startStandalone(Map<String, String> env) {
        IamServerConfig config = IamServerConfig.fromEnvironment(env);
        ConfigException.throwIfAny(IamServerConfig.SUBJECT, config.standaloneProblems());
        return start(config);
    }

    /** Runs the service from the {@code KEYLINE_*} environment until SIGTERM or Ctrl-C. */
    public static void main(String[] args) throws InterruptedException {
        IamServer server;
        try {
            server = startStandalone(System.getenv());
        } catch (ConfigException | IamException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "iam-shutdown"));
        System.out.println("IAM policy service listening on " + server.baseUrl() + " (policies " + server.policies().current().version() + ")");
        stopped.await();
    }

    /** Optional collaborators of an {@link IamServer}. */
    public static final class Builder {
        private final IamServerConfig config;
        private CryptoClient cryptoClient;
        private PrometheusMeterRegistry meters;
        private InstantSource clock = InstantSource.system();
        private SecureRandom random = new SecureRandom();
        private JWKSource<SecurityContext> callerKeys;
        private dev.keyline.kit.Tracing tracing = dev.keyline.kit.Tracing.off();

        private Builder(IamServerConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * Uses {@code client} (its caller needs sign, verify, read, encrypt, decrypt and data-key on
         * the {@code iam} namespace, and manage to provision keys) instead of connecting with the
         * configuration's endpoints and token. The server does not close it.
         */
        public Builder cryptoClient(CryptoClient client) {
            this.cryptoClient = Objects.requireNonNull(client, "client");
            return this;
        }

        /** Registers the metrics in {@code registry} (shared with other services in one JVM). */
        public Builder meterRegistry(PrometheusMeterRegistry registry) {
            this.meters = Objects.requireNonNull(registry, "registry");
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Checks callers' access tokens against {@code keys} instead of the JWK set at the
         * configuration's {@code authJwksUrl} (the issuer and audience still come from the configuration).
         */
        public Builder callerKeys(JWKSource<SecurityContext> keys) {
            this.callerKeys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** A server span per API request (off by default); the caller closes {@code tracing} after the server. */
        public Builder tracing(dev.keyline.kit.Tracing tracing) {
            this.tracing = Objects.requireNonNull(tracing, "tracing");
            return this;
        }

        public Builder random(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        public IamServer start() {
            return new IamServer(this);
        }
    }
}
