package dev.keyline.iam.server;

import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.ResilienceSettings;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.cache.CacheKeys;
import dev.keyline.iam.cache.CryptoFallback;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.kit.config.ConfigReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the IAM policy service needs to start. Build it with {@link #defaults(Path)} (then
 * change what differs) or {@link #fromEnvironment(Map)} ({@code KEYLINE_IAM_*} variables, see
 * docs/configuration.md). {@link #validate()} lists every problem, each naming its setting;
 * {@link IamServer} refuses to start with any.
 *
 * @param adminToken static bearer token for {@code GET /v1/policies} and {@code POST /v1/policies/reload}, next to
 *     access tokens with scope {@code iam:admin}; empty means only such tokens
 * @param cacheHmacKey key of the cache-key HMAC (≥ 32 bytes), shared by replicas that share an L2;
 *     empty means a random key per process
 * @param cryptoToken the crypto service token of this service's caller; not needed when the crypto
 *     client is passed to {@link IamServer.Builder#cryptoClient}
 * @param provisionKeys create the signing and encryption keys at start when they do not exist
 * @param managementHost bind address of the management port ({@code /metrics}); loopback by default
 * @param managementPort the management port (0 = any free port, -1 = off)
 * @param authJwksUrl the token service's JWK set, which signs the callers' access tokens
 * @param authIssuer the {@code iss} callers' access tokens must carry
 * @param authAudience the {@code aud} value callers' access tokens must contain
 * @param authJwksCacheTtl how long the JWK set is cached before it is fetched again
 * @param decisionTtl validity of a signed decision ({@code exp - iat})
 * @param cryptoTls connect to the crypto service over TLS
 * @param cryptoTlsCa PEM CA bundle that signed the crypto service's certificate; empty means the JDK's trust store
 * @param cryptoTlsCert PEM client certificate chain for mutual TLS; empty means none
 * @param cryptoTlsKey PEM (PKCS#8) private key of {@code cryptoTlsCert}
 * @param cryptoTlsServerName the name the crypto service's certificate must carry, when not the endpoint's host
 * @param cryptoTokenIsAdmin the crypto token is the crypto service's admin token (read from a file named
 *     {@code admin.token}, or equal to {@code $dataDir/admin.token})
 * @param allowAdminToken let a standalone service run with the admin token anyway ({@link #standaloneProblems()})
 * @param keyCacheTtl how long the crypto client caches key metadata and public keys (the decision
 *     JWKS, local verification) before asking the crypto service again: a rotation or a disabled
 *     version is seen within it
 * @param cryptoResilience the crypto client's rate limiter, circuit breaker and retries
 */
public record IamServerConfig(Path dataDir, String httpHost, int httpPort, long maxBodyBytes, int batchMaxItems, Path policyDir,
        boolean watchPolicies, Duration watchQuietPeriod, SecretBytes adminToken, long l1MaxEntries, Duration l1Ttl, L2Backend l2Backend,
        Duration l2Ttl, long l2MemoryMaxEntries, String redisUrl, String redisKeyPrefix, Duration redisTimeout, boolean cacheEncryption,
        CryptoFallback cryptoFallback, SecretBytes cacheHmacKey, boolean cryptoEnabled, List<String> cryptoEndpoints, SecretBytes cryptoToken,
        Duration cryptoTimeout, String encryptionKeyId, String signingKeyId, boolean decisionSigning, boolean provisionKeys,
        String managementHost, int managementPort, String authJwksUrl, String authIssuer, String authAudience, Duration authJwksCacheTtl,
        Duration decisionTtl, boolean cryptoTls, String cryptoTlsCa, String cryptoTlsCert, String cryptoTlsKey, String cryptoTlsServerName,
        boolean cryptoTokenIsAdmin, boolean allowAdminToken, Duration keyCacheTtl, ResilienceSettings cryptoResilience) {

    public static final int DEFAULT_HTTP_PORT = 8181;
    public static final int DEFAULT_MANAGEMENT_PORT = 9181;
    public static final String DEFAULT_AUDIENCE = "keyline-iam";
    public static final String DEFAULT_SIGNING_KEY = "iam/decision-signing";
    public static final String DEFAULT_ENCRYPTION_KEY = "iam/decision-cache";
    /** Default of {@link #keyCacheTtl}: the crypto client's own. */
    public static final Duration DEFAULT_KEY_CACHE_TTL = Duration.ofSeconds(60);
    private static final String KEY_CACHE_TTL = "KEYLINE_IAM_KEY_CACHE_TTL";
    private static final String CRYPTO_PREFIX = "KEYLINE_IAM_CRYPTO_";
    /** The subject of this service's {@link ConfigException}s. */
    public static final String SUBJECT = "IAM policy service";

    /** Where L2 lives. */
    public enum L2Backend { MEMORY, REDIS, OFF }

    public IamServerConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(httpHost, "httpHost");
        Objects.requireNonNull(policyDir, "policyDir");
        Objects.requireNonNull(watchQuietPeriod, "watchQuietPeriod");
        Objects.requireNonNull(adminToken, "adminToken");
        Objects.requireNonNull(l1Ttl, "l1Ttl");
        Objects.requireNonNull(l2Backend, "l2Backend");
        Objects.requireNonNull(l2Ttl, "l2Ttl");
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(redisKeyPrefix, "redisKeyPrefix");
        Objects.requireNonNull(redisTimeout, "redisTimeout");
        Objects.requireNonNull(cryptoFallback, "cryptoFallback");
        Objects.requireNonNull(cacheHmacKey, "cacheHmacKey");
        cryptoEndpoints = List.copyOf(cryptoEndpoints);
        Objects.requireNonNull(cryptoToken, "cryptoToken");
        Objects.requireNonNull(cryptoTimeout, "cryptoTimeout");
        Objects.requireNonNull(encryptionKeyId, "encryptionKeyId");
        Objects.requireNonNull(signingKeyId, "signingKeyId");
        Objects.requireNonNull(managementHost, "managementHost");
        Objects.requireNonNull(authJwksUrl, "authJwksUrl");
        Objects.requireNonNull(authIssuer, "authIssuer");
        Objects.requireNonNull(authAudience, "authAudience");
        Objects.requireNonNull(authJwksCacheTtl, "authJwksCacheTtl");
        Objects.requireNonNull(decisionTtl, "decisionTtl");
        Objects.requireNonNull(cryptoTlsCa, "cryptoTlsCa");
        Objects.requireNonNull(cryptoTlsCert, "cryptoTlsCert");
        Objects.requireNonNull(cryptoTlsKey, "cryptoTlsKey");
        Objects.requireNonNull(cryptoTlsServerName, "cryptoTlsServerName");
        Objects.requireNonNull(keyCacheTtl, "keyCacheTtl");
        Objects.requireNonNull(cryptoResilience, "cryptoResilience");
    }

    /**
     * What a standalone service ({@code keyline iam-policy-service}) refuses on top of
     * {@link #validate()}: running with the crypto service's admin token ({@code *:*}) unless
     * {@code allowAdminToken}. Empty when it may start.
     */
    public List<String> standaloneProblems() {
        if (cryptoEnabled && cryptoTokenIsAdmin && !allowAdminToken) {
            return List.of("KEYLINE_IAM_CRYPTO_AUTH_TOKEN: is the crypto service's admin token (grants *:*); issue a least-privilege caller"
                    + " (./keyline callers create iam-policy --for iam-policy-service: iam:sign,verify,read,data-key,decrypt) and set"
                    + " KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE to its token file, or set KEYLINE_IAM_ALLOW_ADMIN_TOKEN=true");
        }
        return List.of();
    }

    /** Safe defaults for one machine, with data under {@code dataDir} and policies in {@code dataDir/policies}. */
    public static Builder defaults(Path dataDir) {
        return new Builder(dataDir);
    }

    /**
     * The configuration the {@code KEYLINE_*} variables in {@code env} describe (unset ones take
     * their defaults); fails with one {@link ConfigException} listing every unreadable value and
     * every {@link #validate()} problem.
     */
    public static IamServerConfig fromEnvironment(Map<String, String> env) {
        ConfigReader r = ConfigReader.of(env);
        Path dataDir = r.dataDir();
        Builder b = defaults(dataDir);
        r.string("KEYLINE_IAM_HTTP_HOST").ifPresent(b::httpHost);
        // Ports are read as plain integers: validate() owns their ranges (the management port's -1 means off).
        r.integer("KEYLINE_IAM_HTTP_PORT").ifPresent(b::httpPort);
        r.string("KEYLINE_IAM_MANAGEMENT_HOST").ifPresent(b::managementHost);
        r.integer("KEYLINE_IAM_MANAGEMENT_PORT").ifPresent(b::managementPort);
        r.string("KEYLINE_IAM_AUTH_JWKS_URL").ifPresent(b::authJwksUrl);
        r.string("KEYLINE_IAM_AUTH_ISSUER").ifPresent(b::authIssuer);
        r.string("KEYLINE_IAM_AUTH_AUDIENCE").ifPresent(b::authAudience);
        r.duration("KEYLINE_IAM_AUTH_JWKS_CACHE_TTL").ifPresent(b::authJwksCacheTtl);
        r.duration("KEYLINE_IAM_DECISION_TTL").ifPresent(b::decisionTtl);
        r.string("KEYLINE_IAM_CRYPTO_TLS_CA").ifPresent(b::cryptoTlsCa);
        r.string("KEYLINE_IAM_CRYPTO_TLS_CERT").ifPresent(b::cryptoTlsCert);
        r.string("KEYLINE_IAM_CRYPTO_TLS_KEY").ifPresent(b::cryptoTlsKey);
        r.string("KEYLINE_IAM_CRYPTO_TLS_SERVER_NAME").ifPresent(b::cryptoTlsServerName);
        // TLS is on when asked for, or when any TLS file is given (unless explicitly off, which validate() then reports).
        b.cryptoTls(r.bool("KEYLINE_IAM_CRYPTO_TLS",
                r.string("KEYLINE_IAM_CRYPTO_TLS_CA").isPresent() || r.string("KEYLINE_IAM_CRYPTO_TLS_CERT").isPresent()));
        r.bool("KEYLINE_IAM_ALLOW_ADMIN_TOKEN").ifPresent(b::allowAdminToken);
        b.maxBodyBytes(r.longValue("KEYLINE_IAM_MAX_BODY_BYTES", b.maxBodyBytes));
        r.integer("KEYLINE_IAM_BATCH_MAX_ITEMS").ifPresent(b::batchMaxItems);
        r.path("KEYLINE_IAM_POLICY_DIR").ifPresent(b::policyDir);
        r.bool("KEYLINE_IAM_POLICY_WATCH").ifPresent(b::watchPolicies);
        r.secret("KEYLINE_IAM_ADMIN_TOKEN").ifPresent(v -> b.adminToken(SecretBytes.copyOf(v.getBytes(StandardCharsets.UTF_8))));
        b.l1MaxEntries(r.longValue("KEYLINE_IAM_CACHE_L1_MAX_ENTRIES", b.l1MaxEntries));
        r.duration("KEYLINE_IAM_CACHE_L1_TTL").ifPresent(b::l1Ttl);
        r.enumValue("KEYLINE_IAM_CACHE_L2", L2Backend.class).ifPresent(b::l2Backend);
        r.duration("KEYLINE_IAM_CACHE_L2_TTL").ifPresent(b::l2Ttl);
        b.l2MemoryMaxEntries(r.longValue("KEYLINE_IAM_CACHE_L2_MAX_ENTRIES", b.l2MemoryMaxEntries));
        r.string("KEYLINE_IAM_REDIS_URL").ifPresent(b::redisUrl);
        r.string("KEYLINE_IAM_REDIS_KEY_PREFIX").ifPresent(b::redisKeyPrefix);
        r.duration("KEYLINE_IAM_REDIS_TIMEOUT").ifPresent(b::redisTimeout);
        r.bool("KEYLINE_IAM_CACHE_ENCRYPTION").ifPresent(b::cacheEncryption);
        r.string("KEYLINE_IAM_CRYPTO_FALLBACK").ifPresent(v -> {
            try {
                b.cryptoFallback(CryptoFallback.parse(v));
            } catch (IllegalArgumentException e) {
                r.problem("KEYLINE_IAM_CRYPTO_FALLBACK", e.getMessage());
            }
        });
        r.base64Secret("KEYLINE_IAM_CACHE_HMAC_KEY").ifPresent(k -> b.cacheHmacKey(SecretBytes.wrap(k)));
        r.bool("KEYLINE_IAM_CRYPTO_ENABLED").ifPresent(b::cryptoEnabled);
        List<String> endpoints = r.list("KEYLINE_IAM_CRYPTO_ENDPOINT", List.of());
        if (!endpoints.isEmpty()) {
            b.cryptoEndpoints(endpoints);
        }
        cryptoToken(r, dataDir, b);
        r.duration("KEYLINE_IAM_CRYPTO_TIMEOUT").ifPresent(b::cryptoTimeout);
        r.string("KEYLINE_IAM_ENCRYPTION_KEY_ID").ifPresent(b::encryptionKeyId);
        r.string("KEYLINE_IAM_SIGNING_KEY_ID").ifPresent(b::signingKeyId);
        r.bool("KEYLINE_IAM_DECISION_SIGNING").ifPresent(b::decisionSigning);
        r.bool("KEYLINE_IAM_PROVISION_KEYS").ifPresent(b::provisionKeys);
        r.duration(KEY_CACHE_TTL).ifPresent(b::keyCacheTtl);
        b.cryptoResilience(ResilienceSettings.read(CRYPTO_PREFIX, r::integer, r::decimal, r::duration));
        IamServerConfig config = b.build();
        config.validate().forEach(r::problem);
        r.throwIfInvalid(SUBJECT);
        return config;
    }

    /**
     * The crypto service token: {@code KEYLINE_IAM_CRYPTO_AUTH_TOKEN}, or the file
     * {@code KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE} names, or (like the token service) the crypto
     * service's admin token in the data directory, the development default. Marks the token as the
     * admin token when it came from a file named {@code admin.token} or equals
     * {@code $dataDir/admin.token}: a standalone service refuses it unless
     * {@code KEYLINE_IAM_ALLOW_ADMIN_TOKEN} (see {@link #standaloneProblems()}).
     */
    private static void cryptoToken(ConfigReader r, Path dataDir, Builder b) {
        Optional<String> token = r.secret("KEYLINE_IAM_CRYPTO_AUTH_TOKEN");
        Optional<Path> tokenFile = r.path("KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE");
        Path adminTokenFile = dataDir.resolve("admin.token");
        if (token.isPresent() && tokenFile.isPresent()) {
            r.problem("KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "set it or KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE, not both");
        } else if (token.isPresent()) {
            b.cryptoToken(token.get());
        } else {
            Path file = tokenFile.orElse(adminTokenFile);
            if (tokenFile.isPresent() || Files.isReadable(file)) {
                try {
                    b.cryptoToken(Files.readString(file).trim());
                    if (file.getFileName() != null && file.getFileName().toString().equals("admin.token")) {
                        b.cryptoTokenIsAdmin(true);
                    }
                } catch (IOException e) {
                    r.problem("KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE", "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
                }
            }
        }
        if (!b.cryptoTokenIsAdmin && b.cryptoToken.size() > 0 && Files.isReadable(adminTokenFile)) {
            try {
                SecretBytes admin = SecretBytes.copyOf(Files.readString(adminTokenFile).trim().getBytes(StandardCharsets.UTF_8));
                b.cryptoTokenIsAdmin(admin.size() > 0 && admin.equals(b.cryptoToken));
            } catch (IOException e) {
                // Unreadable: it cannot be compared, and the token in use was read elsewhere.
            }
        }
    }

    /** Every problem of this configuration, each {@code "setting: what is wrong"}; empty when valid. */
    public List<String> validate() {
        return problems(true);
    }

    /** {@link #validate()}, without the crypto connection settings when a client is provided. */
    List<String> problems(boolean checkCryptoConnection) {
        List<String> p = new ArrayList<>();
        if (httpHost.isBlank()) {
            p.add("httpHost: must be a host name or address");
        }
        if (httpPort < 0 || httpPort > 65535) {
            p.add("httpPort: must be between 0 (any free port) and 65535");
        }
        if (maxBodyBytes < 1024 || maxBodyBytes > (64L << 20)) {
            p.add("maxBodyBytes: must be between 1024 and 67108864");
        }
        if (batchMaxItems < 1 || batchMaxItems > 10_000) {
            p.add("batchMaxItems: must be between 1 and 10000");
        }
        if (!Files.isDirectory(policyDir)) {
            p.add("policyDir: " + policyDir + " is not a directory (DemoPolicies.installIfAbsent(dir) creates a demo one)");
        }
        positive(p, "watchQuietPeriod", watchQuietPeriod, Duration.ofMinutes(1));
        if (adminToken.size() > 0 && adminToken.size() < 16) {
            p.add("adminToken: must be at least 16 characters when set");
        }
        if (l1MaxEntries < 0) {
            p.add("l1MaxEntries: must be 0 (no L1) or positive");
        }
        positive(p, "l1Ttl", l1Ttl, Duration.ofDays(1));
        positive(p, "l2Ttl", l2Ttl, Duration.ofDays(7));
        if (l2Backend == L2Backend.MEMORY && l2MemoryMaxEntries < 1) {
            p.add("l2MemoryMaxEntries: must be positive");
        }
        if (l2Backend == L2Backend.REDIS) {
            if (!redisUrl.startsWith("redis://") && !redisUrl.startsWith("rediss://")) {
                p.add("redisUrl: must start with redis:// or rediss://");
            }
            if (redisKeyPrefix.isEmpty() || redisKeyPrefix.length() > 128) {
                p.add("redisKeyPrefix: must be 1 to 128 characters");
            }
            positive(p, "redisTimeout", redisTimeout, Duration.ofMinutes(1));
        }
        if (cacheHmacKey.size() > 0 && cacheHmacKey.size() < CacheKeys.MIN_KEY_BYTES) {
            p.add("cacheHmacKey: must be at least " + CacheKeys.MIN_KEY_BYTES + " bytes when set");
        }
        if (!cryptoEnabled && cacheEncryption) {
            p.add("cacheEncryption: needs the crypto service (cryptoEnabled is off)");
        }
        if (!cryptoEnabled && decisionSigning) {
            p.add("decisionSigning: needs the crypto service (cryptoEnabled is off)");
        }
        keyId(p, "encryptionKeyId", encryptionKeyId);
        keyId(p, "signingKeyId", signingKeyId);
        if (cryptoEnabled && checkCryptoConnection) {
            for (String problem : cryptoClientBuilder().problems()) {
                String variable = ResilienceSettings.variable(CRYPTO_PREFIX, problem);
                if (variable != null) {
                    p.add(variable);
                } else if (!problem.startsWith("encryptionKeyId") && !problem.startsWith("signingKeyId")
                        && !problem.startsWith("keyMetadataTtl")) {
                    p.add("crypto." + problem);
                }
            }
        }
        positive(p, "cryptoTimeout", cryptoTimeout, Duration.ofMinutes(10));
        positive(p, "keyCacheTtl", keyCacheTtl, Duration.ofDays(1));
        if (managementHost.isBlank()) {
            p.add("managementHost: must be a host name or address");
        }
        if (managementPort < -1 || managementPort > 65535) {
            p.add("managementPort: must be between -1 (off), 0 (any free port) and 65535");
        }
        if (managementPort > 0 && managementPort == httpPort && managementHost.equals(httpHost)) {
            p.add("managementPort: must differ from httpPort");
        }
        try {
            java.net.URI u = new java.net.URI(authJwksUrl);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                p.add("authJwksUrl: must be an http(s) URL");
            }
        } catch (java.net.URISyntaxException e) {
            p.add("authJwksUrl: is not a URL");
        }
        if (authIssuer.isBlank()) {
            p.add("authIssuer: must be the token service's issuer (its iss claim)");
        }
        if (authAudience.isBlank()) {
            p.add("authAudience: must not be empty");
        }
        positive(p, "authJwksCacheTtl", authJwksCacheTtl, Duration.ofDays(1));
        if (decisionTtl.toSeconds() < 1 || decisionTtl.compareTo(Duration.ofDays(1)) > 0) {
            p.add("decisionTtl: must be between 1 second and 1 day");
        }
        if (!cryptoTls && !(cryptoTlsCa.isEmpty() && cryptoTlsCert.isEmpty() && cryptoTlsKey.isEmpty() && cryptoTlsServerName.isEmpty())) {
            p.add("cryptoTls: TLS files or a server name are set but TLS is off");
        }
        return p;
    }

    /** The crypto client configuration these settings describe. */
    public CryptoClientConfig cryptoClientConfig() {
        return cryptoClientBuilder().build();
    }

    private CryptoClientConfig.Builder cryptoClientBuilder() {
        byte[] token = cryptoToken.toByteArray();
        try {
            return cryptoResilience.applyTo(CryptoClientConfig.builder()).clientName("iam-policy-service").endpoints(cryptoEndpoints).timeout(cryptoTimeout)
                    .authToken(new String(token, StandardCharsets.UTF_8)).encryptionKeyId(encryptionKeyId).signingKeyId(signingKeyId)
                    .cacheEncryption(cacheEncryption).signing(decisionSigning).callerHasFallback(true).keyMetadataTtl(keyCacheTtl).envelopeContext("keyline-iam-decision-cache")
                    .tlsEnabled(cryptoTls).tlsTrustCertificates(cryptoTlsCa.isEmpty() ? null : Path.of(cryptoTlsCa))
                    .tlsClientCertificate(cryptoTlsCert.isEmpty() ? null : Path.of(cryptoTlsCert), cryptoTlsKey.isEmpty() ? null : Path.of(cryptoTlsKey))
                    .tlsServerName(cryptoTlsServerName.isEmpty() ? null : cryptoTlsServerName);
        } finally {
            Arrays.fill(token, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "IamServerConfig[http=" + httpHost + ":" + httpPort + ", policyDir=" + policyDir + ", watch=" + watchPolicies + ", l1="
                + l1MaxEntries + "/" + l1Ttl + ", l2=" + l2Backend + "/" + l2Ttl + (l2Backend == L2Backend.REDIS ? " " + redisKeyPrefix : "")
                + ", cacheEncryption=" + cacheEncryption + ", fallback=" + cryptoFallback + ", crypto=" + (cryptoEnabled ? cryptoEndpoints : "off")
                + ", signing=" + decisionSigning + " " + signingKeyId + ", encryptionKey=" + encryptionKeyId + ", management=" + managementHost + ":"
                + managementPort + ", auth=" + authIssuer + " aud " + authAudience + ", cryptoTls=" + cryptoTls + ", keyCacheTtl=" + keyCacheTtl
                + ", cryptoResilience=" + cryptoResilience + ", secrets redacted]";
    }

    private static void positive(List<String> p, String field, Duration d, Duration max) {
        if (d.isNegative() || d.isZero() || d.compareTo(max) > 0) {
            p.add(field + ": must be positive and at most " + max);
        }
    }

    private static void keyId(List<String> p, String field, String text) {
        try {
            KeyId.parse(text);
        } catch (CryptoException | IllegalArgumentException e) {
            p.add(field + ": '" + text + "' is not namespace/id or namespace/id/version");
        }
    }

    /** Settings of an {@link IamServerConfig}; starts from safe one-machine defaults. */
    public static final class Builder {
        private Path dataDir;
        private String httpHost = "127.0.0.1";
        private int httpPort = DEFAULT_HTTP_PORT;
        private long maxBodyBytes = 1L << 20;
        private int batchMaxItems = 100;
        private Path policyDir;
        private boolean watchPolicies = true;
        private Duration watchQuietPeriod = Duration.ofMillis(250);
        private SecretBytes adminToken = SecretBytes.copyOf(new byte[0]);
        private long l1MaxEntries = 100_000;
        private Duration l1Ttl = Duration.ofSeconds(30);
        private L2Backend l2Backend = L2Backend.MEMORY;
        private Duration l2Ttl = Duration.ofMinutes(5);
        private long l2MemoryMaxEntries = 1_000_000;
        private String redisUrl = "redis://127.0.0.1:6379";
        private String redisKeyPrefix = "keyline:iam:decision:";
        private Duration redisTimeout = Duration.ofMillis(250);
        private boolean cacheEncryption = true;
        private CryptoFallback cryptoFallback = CryptoFallback.SKIP;
        private SecretBytes cacheHmacKey = SecretBytes.copyOf(new byte[0]);
        private boolean cryptoEnabled = true;
        private List<String> cryptoEndpoints = List.of("127.0.0.1:50051");
        private SecretBytes cryptoToken = SecretBytes.copyOf(new byte[0]);
        private Duration cryptoTimeout = Duration.ofSeconds(2);
        private String encryptionKeyId = DEFAULT_ENCRYPTION_KEY;
        private String signingKeyId = DEFAULT_SIGNING_KEY;
        private boolean decisionSigning = true;
        private boolean provisionKeys = true;
        private String managementHost = "127.0.0.1";
        private int managementPort = DEFAULT_MANAGEMENT_PORT;
        private String authJwksUrl = "http://127.0.0.1:8080/.well-known/jwks.json";
        private String authIssuer = "http://127.0.0.1:8080";
        private String authAudience = DEFAULT_AUDIENCE;
        private Duration authJwksCacheTtl = Duration.ofMinutes(5);
        private Duration decisionTtl = Duration.ofMinutes(5);
        private boolean cryptoTls;
        private String cryptoTlsCa = "";
        private String cryptoTlsCert = "";
        private String cryptoTlsKey = "";
        private String cryptoTlsServerName = "";
        private boolean cryptoTokenIsAdmin;
        private boolean allowAdminToken;
        private Duration keyCacheTtl = DEFAULT_KEY_CACHE_TTL;
        private ResilienceSettings cryptoResilience = ResilienceSettings.SERVICE_DEFAULTS;

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            this.policyDir = dataDir.resolve("policies");
        }

        public Builder dataDir(Path v) { dataDir = v; return this; }
        public Builder httpHost(String v) { httpHost = v; return this; }
        public Builder httpPort(int v) { httpPort = v; return this; }
        public Builder maxBodyBytes(long v) { maxBodyBytes = v; return this; }
        public Builder batchMaxItems(int v) { batchMaxItems = v; return this; }
        public Builder policyDir(Path v) { policyDir = v; return this; }
        public Builder watchPolicies(boolean v) { watchPolicies = v; return this; }
        public Builder watchQuietPeriod(Duration v) { watchQuietPeriod = v; return this; }
        public Builder adminToken(SecretBytes v) { adminToken = v; return this; }
        public Builder l1(long maxEntries, Duration ttl) { l1MaxEntries = maxEntries; l1Ttl = ttl; return this; }
        public Builder l1MaxEntries(long v) { l1MaxEntries = v; return this; }
        public Builder l1Ttl(Duration v) { l1Ttl = v; return this; }
        public Builder l2Backend(L2Backend v) { l2Backend = v; return this; }
        public Builder l2Ttl(Duration v) { l2Ttl = v; return this; }
        public Builder l2MemoryMaxEntries(long v) { l2MemoryMaxEntries = v; return this; }
        /** L2 in Redis at {@code url}, keys under {@code keyPrefix}. */
        public Builder redis(String url, String keyPrefix) { l2Backend = L2Backend.REDIS; redisUrl = url; redisKeyPrefix = keyPrefix; return this; }
        public Builder redisUrl(String v) { redisUrl = v; return this; }
        public Builder redisKeyPrefix(String v) { redisKeyPrefix = v; return this; }
        public Builder redisTimeout(Duration v) { redisTimeout = v; return this; }
        public Builder cacheEncryption(boolean v) { cacheEncryption = v; return this; }
        public Builder cryptoFallback(CryptoFallback v) { cryptoFallback = v; return this; }
        public Builder cacheHmacKey(SecretBytes v) { cacheHmacKey = v; return this; }
        public Builder cryptoEnabled(boolean v) { cryptoEnabled = v; return this; }
        public Builder cryptoEndpoints(List<String> v) { cryptoEndpoints = v; return this; }
        public Builder cryptoEndpoint(String v) { cryptoEndpoints = List.of(v); return this; }
        public Builder cryptoToken(SecretBytes v) { cryptoToken = v; return this; }
        /** Convenience for {@link #cryptoToken(SecretBytes)}. */
        public Builder cryptoToken(String v) { cryptoToken = SecretBytes.copyOf(v.getBytes(StandardCharsets.UTF_8)); return this; }
        public Builder cryptoTimeout(Duration v) { cryptoTimeout = v; return this; }
        public Builder encryptionKeyId(String v) { encryptionKeyId = v; return this; }
        public Builder signingKeyId(String v) { signingKeyId = v; return this; }
        public Builder decisionSigning(boolean v) { decisionSigning = v; return this; }
        public Builder provisionKeys(boolean v) { provisionKeys = v; return this; }
        public Builder managementHost(String v) { managementHost = v; return this; }
        public Builder managementPort(int v) { managementPort = v; return this; }
        public Builder authJwksUrl(String v) { authJwksUrl = v; return this; }
        public Builder authIssuer(String v) { authIssuer = v; return this; }
        public Builder authAudience(String v) { authAudience = v; return this; }
        public Builder authJwksCacheTtl(Duration v) { authJwksCacheTtl = v; return this; }
        public Builder decisionTtl(Duration v) { decisionTtl = v; return this; }
        public Builder cryptoTls(boolean v) { cryptoTls = v; return this; }
        public Builder cryptoTlsCa(String v) { cryptoTlsCa = v; return this; }
        public Builder cryptoTlsCert(String v) { cryptoTlsCert = v; return this; }
        public Builder cryptoTlsKey(String v) { cryptoTlsKey = v; return this; }
        public Builder cryptoTlsServerName(String v) { cryptoTlsServerName = v; return this; }
        public Builder cryptoTokenIsAdmin(boolean v) { cryptoTokenIsAdmin = v; return this; }
        public Builder allowAdminToken(boolean v) { allowAdminToken = v; return this; }
        public Builder keyCacheTtl(Duration v) { keyCacheTtl = v; return this; }
        public Builder cryptoResilience(ResilienceSettings v) { cryptoResilience = v; return this; }

        /** The configuration; call {@link IamServerConfig#validate()} to check it. */
        public IamServerConfig build() {
            return new IamServerConfig(dataDir, httpHost, httpPort, maxBodyBytes, batchMaxItems, policyDir, watchPolicies, watchQuietPeriod,
                    adminToken, l1MaxEntries, l1Ttl, l2Backend, l2Ttl, l2MemoryMaxEntries, redisUrl, redisKeyPrefix, redisTimeout,
                    cacheEncryption, cryptoFallback, cacheHmacKey, cryptoEnabled, cryptoEndpoints, cryptoToken, cryptoTimeout,
                    encryptionKeyId, signingKeyId, decisionSigning, provisionKeys, managementHost, managementPort, authJwksUrl, authIssuer,
                    authAudience, authJwksCacheTtl, decisionTtl, cryptoTls, cryptoTlsCa, cryptoTlsCert, cryptoTlsKey, cryptoTlsServerName,
                    cryptoTokenIsAdmin, allowAdminToken, keyCacheTtl, cryptoResilience);
        }
    }
}
