package dev.keyline.token.server;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.client.HealthStatus;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.kit.AdminToken;
import dev.keyline.kit.Health;
import dev.keyline.kit.RuntimeFlags;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientRegistry;
import dev.keyline.token.clients.ClientsFile;
import dev.keyline.token.families.TokenFamilies;
import dev.keyline.token.http.ManagementHttp;
import dev.keyline.token.http.TokenHttpApi;
import dev.keyline.token.jwks.Jwks;
import dev.keyline.token.jwks.SigningKeys;
import dev.keyline.token.jwt.AccessTokenVerifier;
import dev.keyline.token.jwt.CryptoSigner;
import dev.keyline.token.jwt.JwtIssuer;
import dev.keyline.token.jwt.KmsSigner;
import dev.keyline.token.jwt.LocalSigner;
import dev.keyline.token.oauth.RevokedAccessTokens;
import dev.keyline.token.oauth.TokenEndpoint;
import dev.keyline.token.storage.TokenStore;
import dev.keyline.token.storage.CryptoEncryptor;
import dev.keyline.token.storage.EncryptedTokenStore;
import dev.keyline.token.storage.InMemoryTokenStore;
import dev.keyline.token.storage.RedisTokenStore;
import dev.keyline.token.storage.StorageIntegrityException;
import dev.keyline.token.storage.SwitchableEncryptionStore;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running token service: the crypto client, signers, JWKS with rotation polling, token-family
 * storage, clients and the HTTP API, wired from one {@link TokenServerConfig}. Start it with
 * {@link #start(TokenServerConfig)} (or {@link #builder} to pass a clock, a meter registry or an
 * existing {@link CryptoClient}); {@link #close()} stops everything it started.
 *
 * <pre>
 * TokenServer server = TokenServer.start(TokenServerConfig.fromEnvironment(System.getenv()));
 * System.out.println("token service on " + server.baseUrl());
 * </pre>
 */
public final class TokenServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TokenServer.class);
    /** Where the shared refresh-token HMAC key lives in Redis (encrypted like every other value). */
    private static final String SHARED_MAC_KEY = "token-mac-key";
    /** The run-time flag that picks the signing path. */
    public static final String SIGNING_FLAG = "signing";
    public static final String SIGNING_CRYPTO = "crypto";
    public static final String SIGNING_LOCAL = "local";
    /** The run-time flag that picks whether family records are written encrypted ({@value #ON}) or not ({@value #OFF}). */
    public static final String ENCRYPTION_FLAG = "cache_encryption";
    public static final String ON = "on";
    public static final String OFF = "off";

    private final TokenServerConfig config;
    private final PrometheusMeterRegistry meters;
    private final Optional<CryptoClient> client;
    private final boolean ownsClient;
    private final Optional<SigningKeys> signingKeys;
    private final TokenStore storage;
    private final TokenFamilies families;
    private final RuntimeFlags flags;
    private final boolean hasFallback;
    private final ScheduledExecutorService scheduler;
    private final TokenHttpApi http;
    private final ManagementHttp management;
    private final String issuer;
    private final TokenStore baseStorage;
    private final AtomicBoolean pollFailing = new AtomicBoolean();
    /** The crypto check's last status, to log its detail when it changes (health never shows it). */
    private final java.util.concurrent.atomic.AtomicReference<Health.Status> lastCryptoStatus =
            new java.util.concurrent.atomic.AtomicReference<>(Health.Status.UP);

    private TokenServer(Builder b) {
        this.config = b.config;
        ConfigException.throwIfAny(TokenServerConfig.SUBJECT, config.validate());
        InstantSource clock = b.clock;
        SecureRandom random = b.random;
        this.meters = b.meters != null ? b.meters : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (b.meters == null) {
            new JvmMemoryMetrics().bindTo(meters);
        }
        List<AutoCloseable> opened = new ArrayList<>();
        boolean started = false;
        try {
            // The crypto client, when any feature needs it.
            if (b.client != null) {
                client = Optional.of(b.client);
                ownsClient = false;
            } else if (config.crypto().isPresent()) {
                CryptoClient c;
                try {
                    c = CryptoClientFactory.builder(config.crypto().get()).meterRegistry(meters).clock(clock).random(random).build();
                } catch (CryptoException e) {
                    // The client checks its settings before this; what is left is files it cannot load (TLS).
                    throw e.reason() == Reason.INVALID_CONFIG ? ConfigException.of(TokenServerConfig.SUBJECT,
                            "KEYLINE_TOKEN_CRYPTO_TLS_CA/CERT/KEY: " + e.getMessage(), e) : e;
                }
                opened.add(c);
                client = Optional.of(c);
                ownsClient = true;
            } else {
                client = Optional.empty();
                ownsClient = false;
            }

            // Keys this process holds: the fallback (always published) and the local signer (LOCAL path).
            Optional<LocalSigner> fallback = config.fallbackKeyFile()
                    .map(f -> keyFile("fallbackKeyFile", () -> LocalSigner.fromPemFile(f, config.fallbackKeyAlgorithm(), "keyline-fallback")))
                    .or(() -> config.fallbackHmacKeyFile()
                            .map(f -> keyFile("fallbackHmacKeyFile", () -> LocalSigner.hmacFromFile(f, "keyline-fallback/jwt-hmac/1"))));
            this.hasFallback = fallback.isPresent();
            Optional<LocalSigner> asymmetricFallback = fallback.filter(f -> f.publicJwk().isPresent());
            Optional<LocalSigner> local = config.localKeyFile()
                    .map(f -> keyFile("localKeyFile", () -> LocalSigner.fromPemFile(f, config.localKeyAlgorithm(), "local")));

            // The crypto-service signing key and its published versions.
            this.signingKeys = client.map(c -> new SigningKeys(c, KeyId.parse(config.signingKeyId()), config.effectivePublishDelay(), clock));
            signingKeys.ifPresent(this::loadSigningKeys);
            Optional<CryptoSigner> cryptoSigner = signingKeys.map(k -> new CryptoSigner(client.get(), k, asymmetricFallback, meters));
            // T11: the signing path is a flag an operator switches at run time (/admin/flags on the management
            // port), offering only the paths this process has keys for.
            List<String> offered = new ArrayList<>();
            cryptoSigner.ifPresent(c -> offered.add(SIGNING_CRYPTO));
            local.ifPresent(l -> offered.add(SIGNING_LOCAL));
            // T11: so is the family-record encryption, within what is safe. Shared storage (Redis) offers only
            // "on": plaintext there would let whoever writes Redis read the refresh-token key and forge records.
            // Memory offers "off" too, and "on" when the encryption key is there to switch to.
            Optional<CryptoEncryptor> encryptor = client.flatMap(c -> familyEncryptor(c, clock, random));
            List<String> encryptionOffered = config.storage() == TokenServerConfig.StorageKind.REDIS ? List.of(ON)
                    : encryptor.isPresent() ? List.of(ON, OFF) : List.of(OFF);
            io.micrometer.core.instrument.MeterRegistry flagMeters = meters;
            this.flags = RuntimeFlags.builder("token-service")
                    .flag(SIGNING_FLAG, config.signer() == TokenServerConfig.SignerKind.CRYPTO ? SIGNING_CRYPTO : SIGNING_LOCAL, offered)
                    .flag(ENCRYPTION_FLAG, config.cacheEncryption() ? ON : OFF, encryptionOffered)
                    .onChange(c -> io.micrometer.core.instrument.Counter.builder("keyline.token.flag.changes")
                            .description("feature flag changes accepted at run time").tag("flag", c.flag()).tag("to", c.to())
                            .register(flagMeters).increment())
                    .build();
            KmsSigner localOrCrypto = local.map(l -> (KmsSigner) l).orElseGet(() -> cryptoSigner.orElseThrow());
            KmsSigner cryptoOrLocal = cryptoSigner.map(c -> (KmsSigner) c).orElse(localOrCrypto);

            // Storage: memory or Redis, encrypted through envelope encryption (AAD = the storage key, which for a
            // family record is the family id). Redis only ever holds envelopes (validate() refuses it unencrypted);
            // in memory the flag picks the form of each write and records of either form stay readable.
            java.util.function.Function<String, byte[]> aad = k -> k.getBytes(StandardCharsets.UTF_8);
            RuntimeFlags flagsNow = flags;
            this.baseStorage = switch (config.storage()) {
                case MEMORY -> new InMemoryTokenStore(clock);
                case REDIS -> RedisTokenStore.connect(config.redisUrl(), config.redisPrefix(), Duration.ofSeconds(5));
            };
            opened.add(baseStorage);
            this.storage = switch (baseStorage) {
                case RedisTokenStore redis -> new EncryptedTokenStore(redis, encryptor.orElseThrow(), aad);
                case InMemoryTokenStore memory when encryptor.isPresent() ->
                        new SwitchableEncryptionStore(memory, encryptor.get(), aad, () -> flagsNow.is(ENCRYPTION_FLAG, ON));
                default -> baseStorage;
            };
            HmacSha256 mac = HmacSha256.of(refreshTokenMacKey(random));
            this.families = new TokenFamilies(storage, mac, clock, random, config.refreshReuseGrace(), meters);

            List<Client> clients = new ArrayList<>(config.clients());
            config.clientsFile().ifPresent(f -> clients.addAll(clientsFile(f)));
            ClientRegistry registry = new ClientRegistry(clients);

            List<String> staticJwks = new ArrayList<>();
            local.flatMap(LocalSigner::publicJwk).ifPresent(staticJwks::add);
            asymmetricFallback.flatMap(LocalSigner::publicJwk).ifPresent(staticJwks::add);
            Jwks jwks = new Jwks(signingKeys, staticJwks, config.jwksMaxAge());
            List<LocalSigner> localKeys = new ArrayList<>();
            local.ifPresent(localKeys::add);
            fallback.ifPresent(localKeys::add);

            // The HTTP server binds first (port 0 resolves); the issuer defaults to where it listens.
            // One client label for every keyline_client_* meter of this service.
            FallbackHandler fallbackHandler = new FallbackHandler(meters, config.crypto().map(CryptoClientConfig::clientName).orElse("token-service"));
            RuntimeFlags flag = flags;
            String[] issuerRef = {config.issuer()};
            this.http = TokenHttpApi.start(config.httpHost(), config.httpPort(), config.maxRequestBytes(), meters, b.tracing, port -> {
                if (issuerRef[0].isEmpty()) {
                    issuerRef[0] = "http://" + hostForUrl(config.httpHost()) + ":" + port;
                }
                JwtIssuer jwtIssuer = new JwtIssuer(() -> flag.is(SIGNING_FLAG, SIGNING_CRYPTO) ? cryptoOrLocal : localOrCrypto, fallback, fallbackHandler, issuerRef[0],
                        clock, random, meters);
                AccessTokenVerifier verifier = new AccessTokenVerifier(signingKeys, localKeys, issuerRef[0], clock);
                TokenEndpoint endpoint = new TokenEndpoint(jwtIssuer, families, verifier, new RevokedAccessTokens(storage), registry);
                return new TokenHttpApi.Routes(endpoint, registry, jwks, issuerRef[0], this::health, meters);
            });
            opened.add(http::stop);
            this.issuer = issuerRef[0];
            byte[] adminBytes = config.adminToken().toByteArray();
            AdminToken adminToken = AdminToken.of(adminBytes);
            java.util.Arrays.fill(adminBytes, (byte) 0);
            this.management = ManagementHttp.start(config.managementHost(), config.managementPort(), meters, this::health, flags, adminToken);
            opened.add(management::stop);

            this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("keyline-token-maintenance").daemon(true).factory());
            long poll = config.keyPollInterval().toMillis();
            signingKeys.ifPresent(k -> scheduler.scheduleWithFixedDelay(this::poll, poll, poll, TimeUnit.MILLISECONDS));
            if (baseStorage instanceof InMemoryTokenStore mem) {
                scheduler.scheduleWithFixedDelay(mem::purgeExpired, 60, 60, TimeUnit.SECONDS);
            }
            started = true;
            LOG.atInfo().addKeyValue("issuer", issuer).addKeyValue("signer", config.signer().name().toLowerCase(java.util.Locale.ROOT))
                    .addKeyValue("storage", config.storage().name().toLowerCase(java.util.Locale.ROOT)).addKeyValue("clients", registry.size())
                    .addKeyValue("fallback", hasFallback).log("token service listening");
        } finally {
            if (!started) {
                for (int i = opened.size() - 1; i >= 0; i--) {
                    try {
                        opened.get(i).close();
                    } catch (Exception e) {
                        LOG.warn("cleanup after a failed start failed: {}", e.toString());
                    }
                }
            }
        }
    }

    /**
     * A key file's signer; a file that {@link LocalSigner} refuses ({@code INVALID_CONFIG}: not a
     * key pair of the configured algorithm, not base64 of an HMAC key) is a configuration problem of
     * {@code field}. LocalSigner's messages name the file, never key material.
     */
    private static LocalSigner keyFile(String field, java.util.function.Supplier<LocalSigner> load) {
        try {
            return load.get();
        } catch (CryptoException e) {
            if (e.reason() != Reason.INVALID_CONFIG) {
                throw e;
            }
            throw ConfigException.of(TokenServerConfig.SUBJECT, field + ": " + e.getMessage(), e);
        }
    }

    /** The clients of {@code file}; every problem of the file is a configuration problem of {@code clientsFile}. */
    private List<Client> clientsFile(java.nio.file.Path file) {
        try {
            return ClientsFile.read(file, config.accessTokenLifetime(), config.refreshTokenLifetime());
        } catch (ClientsFile.InvalidClientsFile e) {
            throw new ConfigException(TokenServerConfig.SUBJECT, e.problems().stream().map(p -> "clientsFile: " + file + ": " + p).toList());
        }
    }

    private void loadSigningKeys(SigningKeys keys) {
        try {
            if (config.createKeys()) {
                keys.ensureKey(config.signingAlgorithm());
            } else {
                keys.refresh();
            }
        } catch (CryptoException e) {
            if (e.reason() != Reason.CRYPTO_SERVICE_UNAVAILABLE) {
                throw e;
            }
            // Start anyway: tokens are signed with the fallback key until the service answers.
            LOG.atWarn().addKeyValue("error_code", e.reason().name())
                    .log("crypto service unavailable at start; the signing key will be loaded when it answers");
        }
    }

    /**
     * The envelope encryption of family records, when it can be had: with {@code cacheEncryption}
     * on, its key must be there (created when allowed) or the start fails; with it off (memory
     * storage), a key that cannot be had only means the flag cannot be switched on, logged.
     */
    private Optional<CryptoEncryptor> familyEncryptor(CryptoClient c, InstantSource clock, SecureRandom random) {
        KeyId encryptionKey = KeyId.parse(config.encryptionKeyId());
        if (config.cacheEncryption()) {
            ensureAesKey(c, encryptionKey);
        } else {
            // Offered only when the key is known to be there now: switched on later, every family write needs it.
            try {
                if (!ensureAesKey(c, encryptionKey)) {
                    LOG.atWarn().addKeyValue("key_id", encryptionKey.ringName())
                            .log("the crypto service is unavailable at start, so the token-family encryption key cannot be checked:"
                                    + " the cache_encryption flag stays off");
                    return Optional.empty();
                }
            } catch (CryptoException e) {
                LOG.atWarn().addKeyValue("error_code", e.reason().name()).addKeyValue("key_id", encryptionKey.ringName())
                        .log("the token-family encryption key cannot be used: the cache_encryption flag stays off");
                return Optional.empty();
            }
        }
        EnvelopeEncryptor envelopes = EnvelopeEncryptor.builder(c, encryptionKey).clock(clock).random(random).meterRegistry(meters)
                .clientName(config.crypto().map(CryptoClientConfig::clientName).orElse("token-service")).context("keyline-token-families").build();
        return Optional.of(new CryptoEncryptor(envelopes));
    }

    /**
     * Makes sure the AES key {@code key} exists (creating it when allowed). True when it was seen
     * or made; false when the crypto service is unavailable, so it could not be checked.
     */
    private boolean ensureAesKey(CryptoClient c, KeyId key) {
        try {
            c.getKeyMetadata(key);
            return true;
        } catch (CryptoException e) {
            if (e.reason() == Reason.KEY_NOT_FOUND && config.createKeys()) {
                try {
                    c.generateKey(key, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
                    LOG.atInfo().addKeyValue("key_id", key.ringName()).log("created the token-family encryption key in the crypto service");
                } catch (CryptoException raced) {
                    // Another replica may have created it a moment ago.
                    c.getKeyMetadata(key);
                }
                return true;
            } else if (e.reason() != Reason.CRYPTO_SERVICE_UNAVAILABLE) {
                throw e;
            }
            return false;
        }
    }

    /**
     * The key refresh tokens are stored under: from the configured file; else, in Redis, one key
     * shared by every replica (the first replica stores it, encrypted like every value, the others
     * read it); else a random key for this process.
     */
    private SecretBytes refreshTokenMacKey(SecureRandom random) {
        if (config.refreshHmacKeyFile().isPresent()) {
            java.nio.file.Path file = config.refreshHmacKeyFile().get();
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
            } catch (IOException e) {
                throw ConfigException.of(TokenServerConfig.SUBJECT, "refreshHmacKeyFile: cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
            } catch (IllegalArgumentException e) {
                throw ConfigException.of(TokenServerConfig.SUBJECT, "refreshHmacKeyFile: " + file + " is not base64");
            }
            if (raw.length < 32) {
                java.util.Arrays.fill(raw, (byte) 0);
                throw ConfigException.of(TokenServerConfig.SUBJECT, "refreshHmacKeyFile: " + file + " must hold the base64 of at least 32 bytes");
            }
            return SecretBytes.wrap(raw);
        }
        byte[] fresh = new byte[32];
        random.nextBytes(fresh);
        if (config.storage() == TokenServerConfig.StorageKind.MEMORY) {
            return SecretBytes.wrap(fresh);
        }
        Instant forever = Instant.parse("9999-01-01T00:00:00Z");
        try {
            storage.compareAndSet(new TokenStore.Put(SHARED_MAC_KEY, fresh, forever), 0, List.of());
            java.util.Arrays.fill(fresh, (byte) 0);
            byte[] shared = storage.get(SHARED_MAC_KEY).orElseThrow(() -> new IllegalStateException("the shared refresh-token key vanished"))
                    .value();
            return SecretBytes.wrap(shared);
        } catch (StorageIntegrityException e) {
            // Refused rather than replaced: a new key would silently invalidate every stored refresh token.
            throw ConfigException.of(TokenServerConfig.SUBJECT, "redisPrefix: the shared refresh-token key in Redis (" + SHARED_MAC_KEY
                    + " under this key prefix) fails its integrity check: written by a Keyline before version-bound records, or tampered;"
                    + " delete it (and its \"#v\" witness) to have a new one made, which invalidates every stored refresh token");
        }
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private void poll() {
        try {
            signingKeys.orElseThrow().refresh();
            if (pollFailing.getAndSet(false)) {
                LOG.info("signing key metadata polling works again");
            }
        } catch (CryptoException e) {
            if (!pollFailing.getAndSet(true)) {
                LOG.atWarn().addKeyValue("error_code", e.reason().name()).log("cannot poll the signing key metadata: {}", e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("signing key polling failed unexpectedly", e);
        }
    }

    // ---------------------------------------------------------------------------------- public API

    /** Starts a token server with the system clock, a new Prometheus registry and its own crypto client. */
    public static TokenServer start(TokenServerConfig config) {
        return builder(config).start();
    }

    public static Builder builder(TokenServerConfig config) {
        return new Builder(config);
    }

    /** The port the HTTP API listens on. */
    public int port() {
        return http.port();
    }

    /** The {@code iss} of the tokens, also the base URL of the endpoints. */
    public String issuer() {
        return issuer;
    }

    /** The management port ({@code /metrics}, {@code /health}) it listens on. */
    public int managementPort() {
        return management.port();
    }

    /** {@code http://host:port} of the management endpoint. */
    public String managementUrl() {
        return "http://" + hostForUrl(config.managementHost()) + ":" + managementPort();
    }

    /** {@code http://host:port} where the API listens. */
    public String baseUrl() {
        return "http://" + hostForUrl(config.httpHost()) + ":" + port();
    }

    public TokenServerConfig config() {
        return config;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** The token families (tests, operators). */
    public TokenFamilies families() {
        return families;
    }

    /**
     * Feature flag (T11), in process: what {@code PUT /admin/flags/signing} on the management port
     * does, audited the same way with actor {@code in-process} (the benchmark uses it).
     *
     * @throws RuntimeFlags.FlagException when that path has no key in this process
     */
    public void setCryptoSigning(boolean viaCryptoService) {
        flags.set(SIGNING_FLAG, viaCryptoService ? SIGNING_CRYPTO : SIGNING_LOCAL, "in-process", java.util.UUID.randomUUID().toString());
    }

    /** Whether tokens are now signed through the crypto service (else with the local key). */
    public boolean cryptoSigning() {
        return flags.is(SIGNING_FLAG, SIGNING_CRYPTO);
    }

    /**
     * The run-time feature flags: {@value #SIGNING_FLAG} ({@value #SIGNING_CRYPTO} or
     * {@value #SIGNING_LOCAL}) and {@value #ENCRYPTION_FLAG} ({@value #ON}, or {@value #OFF} with
     * memory storage only).
     */
    public RuntimeFlags flags() {
        return flags;
    }

    /** Reads the signing key's versions now instead of at the next poll. */
    public void refreshSigningKeys() {
        signingKeys.ifPresent(SigningKeys::refresh);
    }

    /**
     * UP when every dependency answers; DEGRADED when the crypto service is unreachable but the
     * fallback key signs; DOWN when tokens cannot be issued or stored. Served unauthenticated on
     * both ports, so the details are fixed phrases: the crypto client's own detail (which may name
     * endpoints and carries the service's error text) goes to the log when the check changes.
     */
    public Health health() {
        Map<String, Health.Check> checks = new LinkedHashMap<>();
        if (client.isPresent()) {
            HealthStatus h = client.get().healthCheck();
            // The client says DEGRADED when it was told the caller has a fallback; also when it was not, but we have one.
            boolean unreachable = h.status() != HealthStatus.Status.UP
                    && (h.circuit() == HealthStatus.CircuitState.OPEN || h.detail().contains("no fallback configured"));
            Health.Status s = h.status() == HealthStatus.Status.DOWN && hasFallback && unreachable ? Health.Status.DEGRADED
                    : Health.Status.valueOf(h.status().name());
            String detail = switch (s) {
                case UP -> "the crypto service answers";
                case DEGRADED -> hasFallback ? "the crypto service is unreachable; tokens are signed with the fallback key"
                        : "the crypto service is unreachable; the client goes on with its fallback";
                case DOWN -> unreachable ? "the crypto service is unreachable and there is no fallback key"
                        : "the crypto service answers but cannot serve the token service (see the service log)";
            };
            Health.Status before = lastCryptoStatus.getAndSet(s);
            if (before != s) {
                LOG.atLevel(s == Health.Status.UP ? org.slf4j.event.Level.INFO : org.slf4j.event.Level.WARN).addKeyValue("from", before)
                        .addKeyValue("to", s).addKeyValue("circuit", h.circuit().name()).log("crypto service health: {}", h.detail());
            }
            checks.put("crypto_service", new Health.Check(s, detail, Map.of("circuit", h.circuit().name())));
        }
        boolean redis = baseStorage instanceof RedisTokenStore;
        boolean storageOk = !(baseStorage instanceof RedisTokenStore r) || r.ping();
        checks.put("storage", new Health.Check(storageOk ? Health.Status.UP : Health.Status.DOWN,
                !redis ? "in this process" : storageOk ? "Redis answers" : "Redis does not answer",
                Map.of("kind", config.storage().name().toLowerCase(java.util.Locale.ROOT), "encryption", flags.get(ENCRYPTION_FLAG))));
        String path = flags.get(SIGNING_FLAG);
        Map<String, Object> signer = new LinkedHashMap<>();
        signer.put("path", path);
        signer.put("fallback", hasFallback);
        checks.put("signer", new Health.Check(Health.Status.UP,
                SIGNING_CRYPTO.equals(path) ? "tokens are signed through the crypto service" : "tokens are signed with the local key", signer));
        return Health.of(checks);
    }

    /** Stops the HTTP server, polling, storage and (when this server made it) the crypto client. */
    @Override
    public void close() {
        http.stop();
        management.stop();
        scheduler.shutdownNow();
        storage.close();
        if (ownsClient) {
            client.ifPresent(CryptoClient::close);
        }
    }

    /** Optional collaborators. */
    public static final class Builder {
        private final TokenServerConfig config;
        private InstantSource clock = InstantSource.system();
        private SecureRandom random = new SecureRandom();
        private PrometheusMeterRegistry meters;
        private CryptoClient client;
        private dev.keyline.kit.Tracing tracing = dev.keyline.kit.Tracing.off();

        private Builder(TokenServerConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** The clock of token lifetimes, family expiry and the key publication delay. */
        public Builder clock(InstantSource v) { clock = Objects.requireNonNull(v); return this; }
        public Builder random(SecureRandom v) { random = Objects.requireNonNull(v); return this; }
        public Builder meterRegistry(PrometheusMeterRegistry v) { meters = Objects.requireNonNull(v); return this; }
        /** Use this client instead of making one from {@link TokenServerConfig#crypto()}; the server does not close it. */
        public Builder cryptoClient(CryptoClient v) { client = Objects.requireNonNull(v); return this; }
        /** A server span per API request (off by default); the caller closes {@code v} after the server. */
        public Builder tracing(dev.keyline.kit.Tracing v) { tracing = Objects.requireNonNull(v); return this; }

        public TokenServer start() {
            return new TokenServer(this);
        }
    }
}
