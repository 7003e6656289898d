package dev.keyline.token.server;

import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.ResilienceSettings;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.kit.config.ConfigReader;
import dev.keyline.token.clients.Client;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link TokenServer} needs. Build it with {@link #builder()} (embedding, tests) or
 * {@link #fromEnvironment(Map)} (the {@code KEYLINE_TOKEN_*} variables of
 * {@code docs/configuration.md}); {@link #validate()} lists every problem, each naming its field.
 *
 * @param issuer the {@code iss} of every token and the base of the metadata URLs; empty means
 *     {@code http://<httpHost>:<port>}
 * @param signer which path signs: the crypto service or the local PEM key (feature flag, T11)
 * @param crypto how to reach the crypto service; needed for the crypto signer and for cache encryption
 * @param fallbackKeyFile PEM key pair whose public half is always in the JWKS; signs while the
 *     crypto service is unavailable, and while a new key version waits out its publication delay
 *     if no earlier version may sign any more (otherwise the previous version signs meanwhile)
 * @param fallbackHmacKeyFile an HS256 fallback (base64 key file), used only when set explicitly
 *     and no {@code fallbackKeyFile} is: only this service can verify such tokens
 * @param keyPublishDelay how long a new signing key version is published before it signs; empty
 *     means {@link #jwksMaxAge}
 * @param refreshHmacKeyFile base64 of the key refresh tokens are stored under; empty means random
 *     per process (memory storage) or shared through the storage itself (Redis)
 * @param managementHost bind address of the management port ({@code /metrics}, {@code /health});
 *     loopback by default
 * @param managementPort the management port, apart from the public API (0 = any free port)
 * @param adminToken bearer token of the management port's {@code /admin/flags} endpoint (switches
 *     the signing path at run time); empty turns the endpoint off (404)
 */
public record TokenServerConfig(
        String httpHost,
        int httpPort,
        String managementHost,
        int managementPort,
        String issuer,
        int maxRequestBytes,
        Optional<Path> clientsFile,
        List<Client> clients,
        SignerKind signer,
        String signingKeyId,
        KeyAlgorithm signingAlgorithm,
        boolean createKeys,
        Optional<Path> localKeyFile,
        KeyAlgorithm localKeyAlgorithm,
        Optional<Path> fallbackKeyFile,
        KeyAlgorithm fallbackKeyAlgorithm,
        Optional<Path> fallbackHmacKeyFile,
        Optional<CryptoClientConfig> crypto,
        StorageKind storage,
        String redisUrl,
        String redisPrefix,
        boolean cacheEncryption,
        String encryptionKeyId,
        Optional<Path> refreshHmacKeyFile,
        Duration accessTokenLifetime,
        Duration refreshTokenLifetime,
        Duration jwksMaxAge,
        Optional<Duration> keyPublishDelay,
        Duration keyPollInterval,
        Duration refreshReuseGrace,
        SecretBytes adminToken) {

    /** Which {@link dev.keyline.token.jwt.KmsSigner} signs. */
    public enum SignerKind { CRYPTO, LOCAL }

    /** Where token families and the deny list live. */
    public enum StorageKind { MEMORY, REDIS }

    public static final int DEFAULT_HTTP_PORT = 8080;
    public static final int DEFAULT_MANAGEMENT_PORT = 9080;
    /**
     * Sign batching of the token service's crypto client ({@code KEYLINE_TOKEN_SIGN_BATCH_LINGER}):
     * on by default here, unlike in the client, because measured on this service it raised
     * throughput under load and, since a token with no other signature in flight goes at once,
     * cost nothing at low load. 1 ms rather than less: at 32 concurrent requests a 300 µs window
     * gathered ~2 signatures per BatchSign and the rate swung between 4.4k and 7.3k tokens/s from
     * run to run; with 1 ms it held at 7.0k-8.2k with less CPU per token and a lower p99.
     */
    public static final Duration DEFAULT_SIGN_BATCH_LINGER = Duration.ofMillis(1);
    private static final String SIGN_BATCH_LINGER = "KEYLINE_TOKEN_SIGN_BATCH_LINGER";
    private static final String SIGN_BATCH_MAX_ITEMS = "KEYLINE_TOKEN_SIGN_BATCH_MAX_ITEMS";
    /** The subject of every {@link ConfigException} of the token service. */
    public static final String SUBJECT = "token service";
    private static final String ALLOW_ADMIN_TOKEN = "KEYLINE_TOKEN_ALLOW_ADMIN_TOKEN";
    private static final String ADMIN_TOKEN = "KEYLINE_TOKEN_ADMIN_TOKEN";
    private static final String CRYPTO_PREFIX = "KEYLINE_TOKEN_CRYPTO_";
    private static final String TLS = "KEYLINE_TOKEN_CRYPTO_TLS";
    private static final String TLS_CA = "KEYLINE_TOKEN_CRYPTO_TLS_CA";
    private static final String TLS_CERT = "KEYLINE_TOKEN_CRYPTO_TLS_CERT";
    private static final String TLS_KEY = "KEYLINE_TOKEN_CRYPTO_TLS_KEY";
    private static final String TLS_SERVER_NAME = "KEYLINE_TOKEN_CRYPTO_TLS_SERVER_NAME";

    public TokenServerConfig {
        Objects.requireNonNull(httpHost, "httpHost");
        Objects.requireNonNull(managementHost, "managementHost");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(clientsFile, "clientsFile");
        clients = List.copyOf(clients);
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(signingKeyId, "signingKeyId");
        Objects.requireNonNull(signingAlgorithm, "signingAlgorithm");
        Objects.requireNonNull(localKeyFile, "localKeyFile");
        Objects.requireNonNull(localKeyAlgorithm, "localKeyAlgorithm");
        Objects.requireNonNull(fallbackKeyFile, "fallbackKeyFile");
        Objects.requireNonNull(fallbackKeyAlgorithm, "fallbackKeyAlgorithm");
        Objects.requireNonNull(fallbackHmacKeyFile, "fallbackHmacKeyFile");
        Objects.requireNonNull(crypto, "crypto");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(redisUrl, "redisUrl");
        Objects.requireNonNull(redisPrefix, "redisPrefix");
        Objects.requireNonNull(encryptionKeyId, "encryptionKeyId");
        Objects.requireNonNull(refreshHmacKeyFile, "refreshHmacKeyFile");
        Objects.requireNonNull(accessTokenLifetime, "accessTokenLifetime");
        Objects.requireNonNull(refreshTokenLifetime, "refreshTokenLifetime");
        Objects.requireNonNull(jwksMaxAge, "jwksMaxAge");
        Objects.requireNonNull(keyPublishDelay, "keyPublishDelay");
        Objects.requireNonNull(keyPollInterval, "keyPollInterval");
        Objects.requireNonNull(refreshReuseGrace, "refreshReuseGrace");
        Objects.requireNonNull(adminToken, "adminToken");
    }

    /** Every problem of this configuration, each {@code "field: what is wrong"}; empty when valid. */
    public List<String> validate() {
        List<String> p = new ArrayList<>();
        if (httpHost.isBlank()) {
            p.add("httpHost: is required");
        }
        if (httpPort < 0 || httpPort > 65535) {
            p.add("httpPort: must be between 0 and 65535");
        }
        if (managementHost.isBlank()) {
            p.add("managementHost: is required");
        }
        if (managementPort < 0 || managementPort > 65535) {
            p.add("managementPort: must be between 0 and 65535");
        } else if (managementPort != 0 && managementPort == httpPort) {
            p.add("managementPort: must differ from httpPort (metrics are not served on the public port)");
        }
        if (!issuer.isEmpty()) {
            try {
                URI u = new URI(issuer);
                if (!("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null || u.getQuery() != null
                        || u.getFragment() != null || issuer.endsWith("/")) {
                    p.add("issuer: must be an http(s) URL without query, fragment or trailing slash (RFC 8414)");
                }
            } catch (java.net.URISyntaxException e) {
                p.add("issuer: is not a URL");
            }
        }
        if (maxRequestBytes < 1024 || maxRequestBytes > 1 << 20) {
            p.add("maxRequestBytes: must be between 1024 and 1048576");
        }
        clientsFile.filter(f -> !Files.isReadable(f)).ifPresent(f -> p.add("clientsFile: " + f + " is not a readable file"));
        boolean needsCrypto = signer == SignerKind.CRYPTO || cacheEncryption;
        if (needsCrypto && crypto.isEmpty()) {
            p.add("crypto: the crypto service connection is required when the signer is CRYPTO or cacheEncryption is on");
        }
        keyId(p, "signingKeyId", signingKeyId);
        keyId(p, "encryptionKeyId", encryptionKeyId);
        if (!signingAlgorithm.isAsymmetric()) {
            p.add("signingAlgorithm: must be an asymmetric signature algorithm (ES256, ES384, EdDSA, RS256, PS256)");
        }
        if (signer == SignerKind.LOCAL && localKeyFile.isEmpty()) {
            p.add("localKeyFile: is required when the signer is LOCAL");
        }
        readable(p, "localKeyFile", localKeyFile);
        if (!localKeyAlgorithm.isAsymmetric()) {
            p.add("localKeyAlgorithm: must be an asymmetric signature algorithm");
        }
        readable(p, "fallbackKeyFile", fallbackKeyFile);
        readable(p, "fallbackHmacKeyFile", fallbackHmacKeyFile);
        if (!fallbackKeyAlgorithm.isAsymmetric()) {
            p.add("fallbackKeyAlgorithm: must be an asymmetric signature algorithm");
        }
        if (fallbackKeyFile.isPresent() && fallbackHmacKeyFile.isPresent()) {
            p.add("fallbackHmacKeyFile: set either fallbackKeyFile or fallbackHmacKeyFile, not both");
        }
        if (storage == StorageKind.REDIS) {
            if (!redisUrl.startsWith("redis://") && !redisUrl.startsWith("rediss://")) {
                p.add("redisUrl: must be redis://host:port[/db] or rediss://... when storage is REDIS");
            }
            if (redisPrefix.isEmpty() || redisPrefix.length() > 128) {
                p.add("redisPrefix: must be 1-128 characters");
            }
            if (!cacheEncryption) {
                // Unencrypted, the records and the refresh-token HMAC key stored beside them would be readable and
                // writable by anyone who can write to Redis: any session could be taken over.
                p.add("cacheEncryption: must be on when storage is REDIS (whoever can write to Redis could otherwise read the"
                        + " refresh-token key and take over any session)");
            }
        }
        readable(p, "refreshHmacKeyFile", refreshHmacKeyFile);
        range(p, "accessTokenLifetime", accessTokenLifetime, Duration.ofSeconds(1), Duration.ofDays(1));
        range(p, "refreshTokenLifetime", refreshTokenLifetime, Duration.ofMinutes(1), Duration.ofDays(366));
        range(p, "jwksMaxAge", jwksMaxAge, Duration.ZERO, Duration.ofDays(1));
        keyPublishDelay.ifPresent(d -> range(p, "keyPublishDelay", d, Duration.ZERO, Duration.ofDays(7)));
        range(p, "keyPollInterval", keyPollInterval, Duration.ofMillis(100), Duration.ofHours(1));
        range(p, "refreshReuseGrace", refreshReuseGrace, Duration.ZERO, Duration.ofMinutes(5));
        if (adminToken.size() > 0 && adminToken.size() < dev.keyline.kit.AdminToken.MIN_LENGTH) {
            // Never echo the value: it is a secret.
            p.add("adminToken: must be at least " + dev.keyline.kit.AdminToken.MIN_LENGTH + " characters when set");
        }
        return p;
    }

    /** {@link #keyPublishDelay}, or the JWKS max-age when it is not set. */
    public Duration effectivePublishDelay() {
        return keyPublishDelay.orElse(jwksMaxAge);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** This configuration as a builder, to change a field or two. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.httpHost = httpHost;
        b.httpPort = httpPort;
        b.managementHost = managementHost;
        b.managementPort = managementPort;
        b.issuer = issuer;
        b.maxRequestBytes = maxRequestBytes;
        b.clientsFile = clientsFile;
        b.clients = clients;
        b.signer = signer;
        b.signingKeyId = signingKeyId;
        b.signingAlgorithm = signingAlgorithm;
        b.createKeys = createKeys;
        b.localKeyFile = localKeyFile;
        b.localKeyAlgorithm = localKeyAlgorithm;
        b.fallbackKeyFile = fallbackKeyFile;
        b.fallbackKeyAlgorithm = fallbackKeyAlgorithm;
        b.fallbackHmacKeyFile = fallbackHmacKeyFile;
        b.crypto = crypto;
        b.storage = storage;
        b.redisUrl = redisUrl;
        b.redisPrefix = redisPrefix;
        b.cacheEncryption = cacheEncryption;
        b.encryptionKeyId = encryptionKeyId;
        b.refreshHmacKeyFile = refreshHmacKeyFile;
        b.accessTokenLifetime = accessTokenLifetime;
        b.refreshTokenLifetime = refreshTokenLifetime;
        b.jwksMaxAge = jwksMaxAge;
        b.keyPublishDelay = keyPublishDelay;
        b.keyPollInterval = keyPollInterval;
        b.refreshReuseGrace = refreshReuseGrace;
        b.adminToken = adminToken;
        return b;
    }

    /**
     * The configuration the {@code KEYLINE_TOKEN_*} variables describe (see
     * {@code docs/configuration.md}), read through the kit's {@link ConfigReader}. Values that do
     * not parse, and refused combinations found while reading (the admin token as the crypto
     * caller, crypto-client settings), are one {@link ConfigException} (subject {@value #SUBJECT})
     * listing every problem, each naming its variable; {@link #validate()} of the result checks the
     * rest.
     *
     * @throws ConfigException listing every problem
     */
    public static TokenServerConfig fromEnvironment(Map<String, String> env) {
        ConfigReader r = ConfigReader.of(env);
        Builder b = builder();
        r.string("KEYLINE_TOKEN_HTTP_HOST").ifPresent(b::httpHost);
        b.httpPort(r.port("KEYLINE_TOKEN_HTTP_PORT", b.httpPort));
        r.string("KEYLINE_TOKEN_MANAGEMENT_HOST").ifPresent(b::managementHost);
        b.managementPort(r.port("KEYLINE_TOKEN_MANAGEMENT_PORT", b.managementPort));
        r.string("KEYLINE_TOKEN_ISSUER").ifPresent(b::issuer);
        b.maxRequestBytes(r.integer("KEYLINE_TOKEN_MAX_REQUEST_BYTES", b.maxRequestBytes));
        r.path("KEYLINE_TOKEN_CLIENTS_FILE").ifPresent(b::clientsFile);
        b.signer(r.enumValue("KEYLINE_TOKEN_SIGNER", SignerKind.class, b.signer));
        r.string("KEYLINE_TOKEN_SIGNING_KEY").ifPresent(b::signingKeyId);
        jws(r, "KEYLINE_TOKEN_SIGNING_ALGORITHM").ifPresent(b::signingAlgorithm);
        b.createKeys(r.bool("KEYLINE_TOKEN_CREATE_KEYS", b.createKeys));
        r.path("KEYLINE_TOKEN_LOCAL_KEY_FILE").ifPresent(b::localKeyFile);
        jws(r, "KEYLINE_TOKEN_LOCAL_KEY_ALGORITHM").ifPresent(b::localKeyAlgorithm);
        r.path("KEYLINE_TOKEN_FALLBACK_KEY_FILE").ifPresent(b::fallbackKeyFile);
        jws(r, "KEYLINE_TOKEN_FALLBACK_KEY_ALGORITHM").ifPresent(b::fallbackKeyAlgorithm);
        r.path("KEYLINE_TOKEN_FALLBACK_HMAC_KEY_FILE").ifPresent(b::fallbackHmacKeyFile);
        b.storage(r.enumValue("KEYLINE_TOKEN_STORAGE", StorageKind.class, b.storage));
        b.redisUrl(r.string("KEYLINE_TOKEN_REDIS_URL", b.redisUrl));
        b.redisPrefix(r.string("KEYLINE_TOKEN_REDIS_PREFIX", b.redisPrefix));
        b.cacheEncryption(r.bool("KEYLINE_TOKEN_CACHE_ENCRYPTION", b.cacheEncryption));
        b.encryptionKeyId(r.string("KEYLINE_TOKEN_ENCRYPTION_KEY", b.encryptionKeyId));
        r.path("KEYLINE_TOKEN_REFRESH_HMAC_KEY_FILE").ifPresent(b::refreshHmacKeyFile);
        b.accessTokenLifetime(r.duration("KEYLINE_TOKEN_ACCESS_TOKEN_LIFETIME", b.accessTokenLifetime));
        b.refreshTokenLifetime(r.duration("KEYLINE_TOKEN_REFRESH_TOKEN_LIFETIME", b.refreshTokenLifetime));
        b.jwksMaxAge(r.duration("KEYLINE_TOKEN_JWKS_MAX_AGE", b.jwksMaxAge));
        r.duration("KEYLINE_TOKEN_KEY_PUBLISH_DELAY").ifPresent(b::keyPublishDelay);
        b.keyPollInterval(r.duration("KEYLINE_TOKEN_KEY_POLL_INTERVAL", b.keyPollInterval));
        b.refreshReuseGrace(r.duration("KEYLINE_TOKEN_REFRESH_REUSE_GRACE", b.refreshReuseGrace));
        r.secret(ADMIN_TOKEN).ifPresent(v -> b.adminToken(SecretBytes.copyOf(v.getBytes(StandardCharsets.UTF_8))));

        TokenServerConfig partial = b.build();
        boolean needsCrypto = partial.signer() == SignerKind.CRYPTO || partial.cacheEncryption();
        if (needsCrypto) {
            cryptoClient(r, partial).ifPresent(b::crypto);
        }
        r.throwIfInvalid(SUBJECT);
        return b.build();
    }

    /**
     * The crypto-service connection the {@code KEYLINE_TOKEN_CRYPTO_*} variables describe; empty
     * (with the problems recorded in {@code r}) when it cannot be built.
     */
    private static Optional<CryptoClientConfig> cryptoClient(ConfigReader r, TokenServerConfig partial) {
        Path adminTokenFile = r.dataDir().resolve("admin.token");
        Optional<String> token = r.secret("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN");
        Optional<Path> tokenFile = r.path("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE");
        boolean allowAdmin = r.bool(ALLOW_ADMIN_TOKEN, false);
        boolean defaultedToAdmin = token.isEmpty() && tokenFile.isEmpty();
        if (token.isEmpty()) {
            Path file = tokenFile.orElse(adminTokenFile);
            try {
                token = Optional.of(Files.readString(file, StandardCharsets.US_ASCII).trim());
            } catch (IOException e) {
                r.problem("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE", "cannot read " + file + " (set KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN or the file)");
            }
        }
        if (!allowAdmin && token.isPresent() && (defaultedToAdmin || isAdminToken(token.get(), adminTokenFile))) {
            r.problem("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "the token service would call the crypto service with the admin token (*:*)"
                    + (defaultedToAdmin ? " from " + adminTokenFile + " (the default when no token is set)" : "")
                    + "; give it a caller of its own (./keyline callers create token-service --for token-service:"
                    + " token:sign,read,data-key,decrypt) through"
                    + " KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN or KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE, or set " + ALLOW_ADMIN_TOKEN + "=true");
        }
        TlsSettings tls = new TlsSettings(r.bool(TLS), r.path(TLS_CA), r.path(TLS_CERT), r.path(TLS_KEY), r.string(TLS_SERVER_NAME));
        CryptoClientConfig.Builder cb = CryptoClientConfig.builder().clientName("token-service")
                .endpoint(r.string("KEYLINE_TOKEN_CRYPTO_ENDPOINT", "127.0.0.1:50051"))
                .authToken(token.orElse("unset"))
                .timeout(r.duration("KEYLINE_TOKEN_CRYPTO_TIMEOUT", Duration.ofSeconds(2)))
                // Poll through the client's metadata cache: it must not be older than one poll interval.
                .keyMetadataTtl(partial.keyPollInterval().compareTo(Duration.ofSeconds(60)) < 0 ? partial.keyPollInterval() : Duration.ofSeconds(60))
                .callerHasFallback(partial.fallbackKeyFile().isPresent() || partial.fallbackHmacKeyFile().isPresent())
                // Concurrent tokens share BatchSign RPCs (CryptoSigner signs through this client).
                .signBatching(r.integer(SIGN_BATCH_MAX_ITEMS, 64), r.duration(SIGN_BATCH_LINGER, DEFAULT_SIGN_BATCH_LINGER));
        ResilienceSettings.read(CRYPTO_PREFIX, r::integer, r::decimal, r::duration).applyTo(cb);
        tls.apply(cb);
        List<String> cp = cb.problems();
        // The client's problems name its builder fields: rename them to the variables that set them.
        cp.forEach(x -> r.problem(ResilienceSettings.variable(CRYPTO_PREFIX, x) != null ? ResilienceSettings.variable(CRYPTO_PREFIX, x)
                : x.startsWith("signBatchLinger:") ? SIGN_BATCH_LINGER + x.substring("signBatchLinger".length())
                : x.startsWith("signBatchMaxItems:") ? SIGN_BATCH_MAX_ITEMS + x.substring("signBatchMaxItems".length())
                : x.startsWith("tls") ? tlsVariable(x) : "crypto client: " + x));
        return cp.isEmpty() ? Optional.of(cb.build()) : Optional.empty();
    }

    /**
     * Whether {@code token} is the crypto service's admin token, the one in {@code adminTokenFile}
     * (compared in constant time; an unreadable or absent file is no match).
     */
    private static boolean isAdminToken(String token, Path adminTokenFile) {
        String admin;
        try {
            admin = Files.readString(adminTokenFile, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return false;
        }
        return !admin.isEmpty() && java.security.MessageDigest.isEqual(token.getBytes(StandardCharsets.US_ASCII),
                admin.getBytes(StandardCharsets.US_ASCII));
    }

    /** The TLS settings of the crypto-service connection, from the {@code KEYLINE_TOKEN_CRYPTO_TLS*} variables. */
    private record TlsSettings(Optional<Boolean> enabled, Optional<Path> ca, Optional<Path> cert, Optional<Path> key,
            Optional<String> serverName) {
        /** TLS is on when asked for, or when any TLS file or the server name is given and it was not turned off. */
        boolean on() {
            return enabled.orElse(ca.isPresent() || cert.isPresent() || key.isPresent() || serverName.isPresent());
        }

        void apply(CryptoClientConfig.Builder cb) {
            cb.tlsEnabled(on());
            ca.ifPresent(cb::tlsTrustCertificates);
            if (cert.isPresent() || key.isPresent()) {
                // Both or neither: a half given is reported by the client's validation, naming the pair.
                cb.tlsClientCertificate(cert.orElse(null), key.orElse(null));
            }
            serverName.ifPresent(cb::tlsServerName);
        }
    }

    /** A crypto-client TLS problem, renamed to the variable that sets that field. */
    private static String tlsVariable(String problem) {
        int colon = problem.indexOf(':');
        String field = colon < 0 ? problem : problem.substring(0, colon);
        String rest = colon < 0 ? "" : problem.substring(colon);
        String variable = switch (field) {
            case "tlsEnabled" -> TLS;
            case "tlsTrustCertificates" -> TLS_CA;
            case "tlsClientCertificate" -> TLS_CERT;
            case "tlsClientKey" -> TLS_KEY;
            case "tlsServerName" -> TLS_SERVER_NAME;
            default -> "crypto client: " + field;
        };
        return variable + rest;
    }

    private static void keyId(List<String> p, String field, String v) {
        try {
            KeyId.parse(v);
        } catch (CryptoException e) {
            p.add(field + ": '" + v + "' is not namespace/id");
        }
    }

    private static void readable(List<String> p, String field, Optional<Path> f) {
        f.filter(x -> !Files.isReadable(x)).ifPresent(x -> p.add(field + ": " + x + " is not a readable file"));
    }

    private static void range(List<String> p, String field, Duration d, Duration min, Duration max) {
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            p.add(field + ": must be between " + min + " and " + max);
        }
    }

    /** A JWS algorithm name ({@code ES256}...): token-specific, so not one of the reader's types. */
    private static Optional<KeyAlgorithm> jws(ConfigReader r, String name) {
        Optional<String> v = r.string(name);
        Optional<KeyAlgorithm> a = v.flatMap(KeyAlgorithm::fromJws);
        if (v.isPresent() && a.isEmpty()) {
            r.problem(name, "'" + v.get() + "' must be a JWS algorithm: ES256, ES384, EdDSA, RS256 or PS256");
        }
        return a;
    }

    /** Settings with the documented defaults. */
    public static final class Builder {
        private String httpHost = "127.0.0.1";
        private int httpPort = DEFAULT_HTTP_PORT;
        private String managementHost = "127.0.0.1";
        private int managementPort = DEFAULT_MANAGEMENT_PORT;
        private String issuer = "";
        private int maxRequestBytes = 16 * 1024;
        private Optional<Path> clientsFile = Optional.empty();
        private List<Client> clients = List.of();
        private SignerKind signer = SignerKind.CRYPTO;
        private String signingKeyId = "token/jwt-signing";
        private KeyAlgorithm signingAlgorithm = KeyAlgorithm.ECDSA_P256_SHA256;
        private boolean createKeys = true;
        private Optional<Path> localKeyFile = Optional.empty();
        private KeyAlgorithm localKeyAlgorithm = KeyAlgorithm.ECDSA_P256_SHA256;
        private Optional<Path> fallbackKeyFile = Optional.empty();
        private KeyAlgorithm fallbackKeyAlgorithm = KeyAlgorithm.ECDSA_P256_SHA256;
        private Optional<Path> fallbackHmacKeyFile = Optional.empty();
        private Optional<CryptoClientConfig> crypto = Optional.empty();
        private StorageKind storage = StorageKind.MEMORY;
        private String redisUrl = "redis://127.0.0.1:6379";
        private String redisPrefix = "keyline:token:";
        private boolean cacheEncryption = true;
        private String encryptionKeyId = "token/family-encryption";
        private Optional<Path> refreshHmacKeyFile = Optional.empty();
        private Duration accessTokenLifetime = Duration.ofMinutes(15);
        private Duration refreshTokenLifetime = Duration.ofDays(30);
        private Duration jwksMaxAge = Duration.ofMinutes(5);
        private Optional<Duration> keyPublishDelay = Optional.empty();
        private Duration keyPollInterval = Duration.ofSeconds(30);
        private Duration refreshReuseGrace = Duration.ZERO;
        private SecretBytes adminToken = SecretBytes.copyOf(new byte[0]);

        private Builder() {
        }

        public Builder httpHost(String v) { httpHost = v; return this; }
        public Builder httpPort(int v) { httpPort = v; return this; }
        public Builder managementHost(String v) { managementHost = v; return this; }
        public Builder managementPort(int v) { managementPort = v; return this; }
        public Builder issuer(String v) { issuer = v; return this; }
        public Builder maxRequestBytes(int v) { maxRequestBytes = v; return this; }
        public Builder clientsFile(Path v) { clientsFile = Optional.of(v); return this; }
        public Builder clients(List<Client> v) { clients = List.copyOf(v); return this; }
        public Builder signer(SignerKind v) { signer = v; return this; }
        public Builder signingKeyId(String v) { signingKeyId = v; return this; }
        public Builder signingAlgorithm(KeyAlgorithm v) { signingAlgorithm = v; return this; }
        public Builder createKeys(boolean v) { createKeys = v; return this; }
        public Builder localKeyFile(Path v) { localKeyFile = Optional.of(v); return this; }
        public Builder localKeyAlgorithm(KeyAlgorithm v) { localKeyAlgorithm = v; return this; }
        public Builder fallbackKeyFile(Path v) { fallbackKeyFile = Optional.of(v); return this; }
        public Builder fallbackKeyAlgorithm(KeyAlgorithm v) { fallbackKeyAlgorithm = v; return this; }
        public Builder fallbackHmacKeyFile(Path v) { fallbackHmacKeyFile = Optional.of(v); return this; }
        public Builder crypto(CryptoClientConfig v) { crypto = Optional.of(v); return this; }
        public Builder storage(StorageKind v) { storage = v; return this; }
        public Builder redisUrl(String v) { redisUrl = v; return this; }
        public Builder redisPrefix(String v) { redisPrefix = v; return this; }
        public Builder cacheEncryption(boolean v) { cacheEncryption = v; return this; }
        public Builder encryptionKeyId(String v) { encryptionKeyId = v; return this; }
        public Builder refreshHmacKeyFile(Path v) { refreshHmacKeyFile = Optional.of(v); return this; }
        public Builder accessTokenLifetime(Duration v) { accessTokenLifetime = v; return this; }
        public Builder refreshTokenLifetime(Duration v) { refreshTokenLifetime = v; return this; }
        public Builder jwksMaxAge(Duration v) { jwksMaxAge = v; return this; }
        public Builder keyPublishDelay(Duration v) { keyPublishDelay = Optional.of(v); return this; }
        public Builder keyPollInterval(Duration v) { keyPollInterval = v; return this; }
        public Builder refreshReuseGrace(Duration v) { refreshReuseGrace = v; return this; }
        /** The management port's admin token (at least 16 characters); empty turns {@code /admin/flags} off. */
        public Builder adminToken(SecretBytes v) { adminToken = v; return this; }

        public TokenServerConfig build() {
            return new TokenServerConfig(httpHost, httpPort, managementHost, managementPort, issuer, maxRequestBytes, clientsFile, clients, signer, signingKeyId,
                    signingAlgorithm, createKeys, localKeyFile, localKeyAlgorithm, fallbackKeyFile, fallbackKeyAlgorithm,
                    fallbackHmacKeyFile, crypto, storage, redisUrl, redisPrefix, cacheEncryption, encryptionKeyId, refreshHmacKeyFile,
                    accessTokenLifetime, refreshTokenLifetime, jwksMaxAge, keyPublishDelay, keyPollInterval, refreshReuseGrace, adminToken);
        }
    }
}
