package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.signing.SigningKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything a {@link CryptoClient} needs: where the service is and how to reach it, which keys
 * to use, the cache, resilience and fallback settings, and feature flags. Immutable; build it with
 * {@link #builder()}. {@link Builder#build()} checks every field and fails with one
 * {@code CryptoException(INVALID_CONFIG)} whose message lists every problem, each naming its
 * field; {@link Builder#problems()} returns the same list without throwing. No secret (token,
 * fallback key) appears in {@link #toString()} or in a problem.
 */
public final class CryptoClientConfig {
    /** Whether a fallback key may be invented when none is configured. */
    public enum FallbackMode {
        /** Fallback keys must come from configuration; a missing key is a configuration problem. */
        PRODUCTION,
        /**
         * A missing fallback key is generated in memory at {@link Builder#build()}, with a loud
         * warning: anything encrypted under it is lost when the process ends. For laptops only.
         */
        DEVELOPMENT
    }

    private final String clientName;
    private final List<String> endpoints;
    private final Duration timeout;
    private final String authToken;
    private final boolean tlsEnabled;
    private final Path tlsTrustCertificates;
    private final Path tlsClientCertificate;
    private final Path tlsClientKey;
    private final String tlsServerName;
    private final KeyId encryptionKeyId;
    private final KeyId signingKeyId;
    private final Duration keyMetadataTtl;
    private final int keyCacheMaxEntries;
    private final boolean cacheEncryption;
    private final boolean signing;
    private final float failureRateThreshold;
    private final int slidingWindowSize;
    private final int minimumNumberOfCalls;
    private final Duration waitDurationInOpenState;
    private final int permittedCallsInHalfOpenState;
    private final int rateLimitPerPeriod;
    private final Duration rateLimitPeriod;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final double backoffMultiplier;
    private final double backoffJitter;
    private final boolean fallbackEnabled;
    private final FallbackMode fallbackMode;
    private final String fallbackNamespace;
    private final boolean callerHasFallback;
    private final FallbackKeys fallbackKeys;
    private final Duration dataKeyMaxAge;
    private final long dataKeyMaxMessages;
    private final long dataKeyMaxBytes;
    private final Duration dataKeyRefreshBefore;
    private final String envelopeContext;
    private final int signBatchMaxItems;
    private final Duration signBatchLinger;

    private CryptoClientConfig(Builder b, FallbackKeys fallbackKeys) {
        this.clientName = b.clientName;
        this.endpoints = List.copyOf(b.endpoints);
        this.timeout = b.timeout;
        this.authToken = b.authToken;
        this.tlsEnabled = b.tlsEnabled;
        this.tlsTrustCertificates = b.tlsTrustCertificates;
        this.tlsClientCertificate = b.tlsClientCertificate;
        this.tlsClientKey = b.tlsClientKey;
        this.tlsServerName = b.tlsServerName;
        this.encryptionKeyId = b.encryptionKeyId.isEmpty() ? null : KeyId.parse(b.encryptionKeyId);
        this.signingKeyId = b.signingKeyId.isEmpty() ? null : KeyId.parse(b.signingKeyId);
        this.keyMetadataTtl = b.keyMetadataTtl;
        this.keyCacheMaxEntries = b.keyCacheMaxEntries;
        this.cacheEncryption = b.cacheEncryption;
        this.signing = b.signing;
        this.failureRateThreshold = b.failureRateThreshold;
        this.slidingWindowSize = b.slidingWindowSize;
        this.minimumNumberOfCalls = b.minimumNumberOfCalls;
        this.waitDurationInOpenState = b.waitDurationInOpenState;
        this.permittedCallsInHalfOpenState = b.permittedCallsInHalfOpenState;
        this.rateLimitPerPeriod = b.rateLimitPerPeriod;
        this.rateLimitPeriod = b.rateLimitPeriod;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.backoffMultiplier = b.backoffMultiplier;
        this.backoffJitter = b.backoffJitter;
        this.fallbackEnabled = b.fallbackEnabled;
        this.fallbackMode = b.fallbackMode;
        this.fallbackNamespace = b.fallbackNamespace;
        this.callerHasFallback = b.callerHasFallback;
        this.fallbackKeys = fallbackKeys;
        this.dataKeyMaxAge = b.dataKeyMaxAge;
        this.dataKeyMaxMessages = b.dataKeyMaxMessages;
        this.dataKeyMaxBytes = b.dataKeyMaxBytes;
        this.dataKeyRefreshBefore = b.dataKeyRefreshBefore;
        this.envelopeContext = b.envelopeContext;
        this.signBatchMaxItems = b.signBatchMaxItems;
        this.signBatchLinger = b.signBatchLinger;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Names this client in metric tags ({@code client}) and logs. */
    public String clientName() { return clientName; }
    /** {@code host:port} of each replica; calls are spread round-robin. */
    public List<String> endpoints() { return endpoints; }
    /** Deadline of one attempt of one call. */
    public Duration timeout() { return timeout; }
    String authToken() { return authToken; }
    public boolean tlsEnabled() { return tlsEnabled; }
    public Optional<Path> tlsTrustCertificates() { return Optional.ofNullable(tlsTrustCertificates); }
    public Optional<Path> tlsClientCertificate() { return Optional.ofNullable(tlsClientCertificate); }
    public Optional<Path> tlsClientKey() { return Optional.ofNullable(tlsClientKey); }
    public Optional<String> tlsServerName() { return Optional.ofNullable(tlsServerName); }
    public Optional<KeyId> encryptionKeyId() { return Optional.ofNullable(encryptionKeyId); }
    public Optional<KeyId> signingKeyId() { return Optional.ofNullable(signingKeyId); }
    public Duration keyMetadataTtl() { return keyMetadataTtl; }
    public int keyCacheMaxEntries() { return keyCacheMaxEntries; }
    /** Feature flag: whether the embedding service encrypts its cache entries (needs an encryption key). */
    public boolean cacheEncryption() { return cacheEncryption; }
    /** Feature flag: whether the embedding service signs through the crypto service (needs a signing key). */
    public boolean signing() { return signing; }
    public float failureRateThreshold() { return failureRateThreshold; }
    public int slidingWindowSize() { return slidingWindowSize; }
    public int minimumNumberOfCalls() { return minimumNumberOfCalls; }
    public Duration waitDurationInOpenState() { return waitDurationInOpenState; }
    public int permittedCallsInHalfOpenState() { return permittedCallsInHalfOpenState; }
    /** Calls allowed per {@link #rateLimitPeriod()}; 0 turns the rate limiter off. */
    public int rateLimitPerPeriod() { return rateLimitPerPeriod; }
    public Duration rateLimitPeriod() { return rateLimitPeriod; }
    /** Attempts of a call safe to repeat (1 = no retry). */
    public int maxAttempts() { return maxAttempts; }
    public Duration initialBackoff() { return initialBackoff; }
    public Duration maxBackoff() { return maxBackoff; }
    public double backoffMultiplier() { return backoffMultiplier; }
    /** Randomization factor of each backoff: the wait is uniform in [d·(1−j), d·(1+j)]. */
    public double backoffJitter() { return backoffJitter; }
    public boolean fallbackEnabled() { return fallbackEnabled; }
    public FallbackMode fallbackMode() { return fallbackMode; }
    /** The key namespace reserved for the local fallback keys; never a service key's namespace. */
    public String fallbackNamespace() { return fallbackNamespace; }
    /**
     * Whether the embedding service can go on without the crypto service by itself (e.g. keeps
     * decisions unencrypted): health is then DEGRADED, not DOWN, when the service is unreachable.
     */
    public boolean callerHasFallback() { return callerHasFallback; }
    FallbackKeys fallbackKeys() { return fallbackKeys; }
    public Duration dataKeyMaxAge() { return dataKeyMaxAge; }
    public long dataKeyMaxMessages() { return dataKeyMaxMessages; }
    public long dataKeyMaxBytes() { return dataKeyMaxBytes; }
    public Duration dataKeyRefreshBefore() { return dataKeyRefreshBefore; }
    /** Bound into the wrapping of every envelope data key; envelopes decrypt only under the same context. */
    public String envelopeContext() { return envelopeContext; }
    /** Most {@link CryptoClient#sign} calls coalesced into one BatchSign RPC (see {@link Builder#signBatching}). */
    public int signBatchMaxItems() { return signBatchMaxItems; }
    /** How long a batch of sign calls waits for company; {@link Duration#ZERO} (the default) turns batching off. */
    public Duration signBatchLinger() { return signBatchLinger; }

    @Override
    public String toString() {
        return "CryptoClientConfig[client=" + clientName + ", endpoints=" + endpoints + ", timeout=" + timeout + ", token=redacted"
                + ", tls=" + tlsEnabled + ", encryptionKeyId=" + encryptionKeyId + ", signingKeyId=" + signingKeyId
                + ", keyMetadataTtl=" + keyMetadataTtl + ", cacheEncryption=" + cacheEncryption
                + ", signing=" + signing + ", circuit=[" + failureRateThreshold + "%, window " + slidingWindowSize + ", min "
                + minimumNumberOfCalls + ", open " + waitDurationInOpenState + ", half-open " + permittedCallsInHalfOpenState + "]"
                + ", rateLimit=" + rateLimitPerPeriod + "/" + rateLimitPeriod + ", retry=[" + maxAttempts + " attempts, "
                + initialBackoff + "..." + maxBackoff + "]" + ", fallback=" + (fallbackEnabled ? fallbackMode + " " + fallbackKeys : "off")
                + ", signBatching=" + (signBatchLinger.isZero() ? "off" : signBatchMaxItems + " items/" + signBatchLinger) + "]";
    }

    /**
     * Settings with safe defaults; {@link #endpoint} (or {@link #endpoints}) and {@link #authToken}
     * are required. Setters accept anything; {@link #build()} judges.
     */
    public static final class Builder {
        private static final Pattern HOST = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]{2,45}\\]");
        private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]{1,4096}");
        private static final Pattern CLIENT_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
        /** A bound on the latency batching may add to every sign call; useful lingers are a few hundred microseconds. */
        private static final Duration MAX_SIGN_BATCH_LINGER = Duration.ofMillis(100);

        private String clientName = "keyline";
        private List<String> endpoints = List.of();
        private Duration timeout = Duration.ofSeconds(2);
        private String authToken = "";
        private boolean tlsEnabled;
        private Path tlsTrustCertificates;
        private Path tlsClientCertificate;
        private Path tlsClientKey;
        private String tlsServerName;
        private String encryptionKeyId = "";
        private String signingKeyId = "";
        private Duration keyMetadataTtl = Duration.ofSeconds(60);
        private int keyCacheMaxEntries = 10_000;
        private boolean cacheEncryption;
        private boolean signing;
        private float failureRateThreshold = 50f;
        private int slidingWindowSize = 20;
        private int minimumNumberOfCalls = 10;
        private Duration waitDurationInOpenState = Duration.ofSeconds(30);
        private int permittedCallsInHalfOpenState = 3;
        private int rateLimitPerPeriod;
        private Duration rateLimitPeriod = Duration.ofSeconds(1);
        private int maxAttempts = 3;
        private Duration initialBackoff = Duration.ofMillis(50);
        private Duration maxBackoff = Duration.ofSeconds(1);
        private double backoffMultiplier = 2.0;
        private double backoffJitter = 0.5;
        private boolean fallbackEnabled;
        private FallbackMode fallbackMode = FallbackMode.PRODUCTION;
        private String fallbackNamespace = "keyline-fallback";
        private boolean callerHasFallback;
        private SecretBytes fallbackAesKey;
        private Path fallbackAesKeyFile;
        private SigningKey fallbackSigningKey;
        private Path fallbackSigningKeyFile;
        private KeyAlgorithm fallbackSigningAlgorithm = KeyAlgorithm.ECDSA_P256_SHA256;
        private Duration dataKeyMaxAge = Duration.ofMinutes(5);
        private long dataKeyMaxMessages = 1L << 20;
        private long dataKeyMaxBytes = 1L << 30;
        private Duration dataKeyRefreshBefore = Duration.ofSeconds(30);
        private String envelopeContext = "";
        private int signBatchMaxItems = 64;
        private Duration signBatchLinger = Duration.ZERO;

        private Builder() {
        }

        public Builder clientName(String v) { clientName = v; return this; }
        /** One replica, {@code host:port}. */
        public Builder endpoint(String hostPort) { endpoints = hostPort == null ? List.of() : List.of(hostPort); return this; }
        /** Several replicas, each {@code host:port}; calls go round-robin over them. */
        public Builder endpoints(List<String> hostPorts) { endpoints = hostPorts == null ? List.of() : new ArrayList<>(hostPorts); return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        /** The bearer token the crypto service issued to this caller. Secret: never printed. */
        public Builder authToken(String v) { authToken = v == null ? "" : v; return this; }
        public Builder tlsEnabled(boolean v) { tlsEnabled = v; return this; }
        /** PEM CA bundle to trust; unset means the JDK's default trust store. */
        public Builder tlsTrustCertificates(Path v) { tlsTrustCertificates = v; return this; }
        /** PEM certificate chain and PKCS#8 key for mutual TLS; both or neither. */
        public Builder tlsClientCertificate(Path certChain, Path privateKey) { tlsClientCertificate = certChain; tlsClientKey = privateKey; return this; }
        /** The name to check the server certificate against, when it differs from the endpoint host. */
        public Builder tlsServerName(String v) { tlsServerName = v; return this; }
        /** {@code namespace/id/version} (version 0 or absent: the primary). */
        public Builder encryptionKeyId(String v) { encryptionKeyId = v == null ? "" : v; return this; }
        /** {@code namespace/id/version} (version 0 or absent: the primary). */
        public Builder signingKeyId(String v) { signingKeyId = v == null ? "" : v; return this; }
        public Builder keyMetadataTtl(Duration v) { keyMetadataTtl = v; return this; }
        public Builder keyCacheMaxEntries(int v) { keyCacheMaxEntries = v; return this; }
        public Builder cacheEncryption(boolean v) { cacheEncryption = v; return this; }
        public Builder signing(boolean v) { signing = v; return this; }

        /**
         * Circuit breaker over a count-based window: it opens when at least
         * {@code minimumNumberOfCalls} of the last {@code slidingWindowSize} calls were made and
         * {@code failureRateThreshold} percent or more of them failed transiently; stays open for
         * {@code waitDurationInOpenState} (on the client's clock; the first call after it moves the
         * breaker to HALF_OPEN); then lets up to {@code permittedCallsInHalfOpenState} trial calls
         * through and, after {@code min(minimumNumberOfCalls, permittedCallsInHalfOpenState)} of
         * them (Resilience4j's rule), closes if they failed below the threshold or opens again.
         * Only transient failures count as failures; any other answer counts as a success.
         */
        public Builder circuitBreaker(float failureRateThreshold, int slidingWindowSize, int minimumNumberOfCalls,
                Duration waitDurationInOpenState, int permittedCallsInHalfOpenState) {
            this.failureRateThreshold = failureRateThreshold;
            this.slidingWindowSize = slidingWindowSize;
            this.minimumNumberOfCalls = minimumNumberOfCalls;
            this.waitDurationInOpenState = waitDurationInOpenState;
            this.permittedCallsInHalfOpenState = permittedCallsInHalfOpenState;
            return this;
        }

        /** At most {@code callsPerPeriod} calls per {@code period}; 0 turns the limiter off (the default). */
        public Builder rateLimit(int callsPerPeriod, Duration period) {
            this.rateLimitPerPeriod = callsPerPeriod;
            this.rateLimitPeriod = period;
            return this;
        }

        /** Attempts (1 = none repeated) and the jittered exponential backoff between them. */
        public Builder retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double multiplier, double jitter) {
            this.maxAttempts = maxAttempts;
            this.initialBackoff = initialBackoff;
            this.maxBackoff = maxBackoff;
            this.backoffMultiplier = multiplier;
            this.backoffJitter = jitter;
            return this;
        }

        public Builder fallbackEnabled(boolean v) { fallbackEnabled = v; return this; }
        public Builder fallbackMode(FallbackMode v) { fallbackMode = v; return this; }
        public Builder fallbackNamespace(String v) { fallbackNamespace = v; return this; }
        public Builder callerHasFallback(boolean v) { callerHasFallback = v; return this; }
        /** The local AES-256-GCM fallback key, 32 bytes (copied). */
        public Builder fallbackAesKey(SecretBytes v) { fallbackAesKey = v; return this; }
        /** A file holding the base64 of the 32-byte local AES-256-GCM fallback key. */
        public Builder fallbackAesKeyFile(Path v) { fallbackAesKeyFile = v; return this; }
        /** The local fallback signing key. */
        public Builder fallbackSigningKey(SigningKey v) { fallbackSigningKey = v; return this; }
        /**
         * A PEM file with the fallback signing key: a PKCS#8 {@code PRIVATE KEY} block and its
         * {@code PUBLIC KEY} block ({@code openssl genpkey ... > k.pem; openssl pkey -in k.pem
         * -pubout >> k.pem}), of {@link #fallbackSigningAlgorithm}.
         */
        public Builder fallbackSigningKeyFile(Path v) { fallbackSigningKeyFile = v; return this; }
        public Builder fallbackSigningAlgorithm(KeyAlgorithm v) { fallbackSigningAlgorithm = v; return this; }

        /**
         * Limits on one cached envelope data key, as the AWS Encryption SDK's caching materials
         * manager has them: a new data key is fetched when the current one is {@code maxAge} old,
         * has encrypted {@code maxMessages} messages or {@code maxBytes} bytes; a refresh starts
         * {@code refreshBefore} ahead of {@code maxAge}.
         */
        public Builder dataKeyLimits(Duration maxAge, long maxMessages, long maxBytes, Duration refreshBefore) {
            this.dataKeyMaxAge = maxAge;
            this.dataKeyMaxMessages = maxMessages;
            this.dataKeyMaxBytes = maxBytes;
            this.dataKeyRefreshBefore = refreshBefore;
            return this;
        }

        public Builder envelopeContext(String v) { envelopeContext = v; return this; }

        /**
         * Micro-batching of {@link CryptoClient#sign}. A call that finds no sign of its key id in
         * flight goes at once as a plain Sign RPC, so at low load batching adds no latency. Calls
         * that arrive while one is in flight are coalesced per key id (and version) into one
         * BatchSign RPC, sent when {@code maxItems} calls wait or {@code linger} after the first
         * of them arrived, whichever comes first: no call is held longer than {@code linger}. Each
         * call still takes its own rate-limiter permit, checks the key's state, validates its own
         * answer and falls back on its own; a BatchSign RPC goes through the retry policy and the
         * circuit breaker as one call. {@code linger} 0 (the default) turns batching off: every
         * sign is one Sign RPC. Keep {@code maxItems} at or below the service's
         * {@code KEYLINE_CRYPTO_MAX_BATCH_ITEMS}.
         */
        public Builder signBatching(int maxItems, Duration linger) {
            this.signBatchMaxItems = maxItems;
            this.signBatchLinger = linger;
            return this;
        }

        /** Every problem of the current settings, each {@code "field: what is wrong"}; empty when valid. */
        public List<String> problems() {
            List<String> p = new ArrayList<>();
            check(p);
            loadFallbackKeys(p, false);
            return p;
        }

        /** The configuration, or one {@code CryptoException(INVALID_CONFIG)} listing every problem. */
        public CryptoClientConfig build() {
            List<String> p = new ArrayList<>();
            check(p);
            FallbackKeys keys = loadFallbackKeys(p, p.isEmpty());
            if (!p.isEmpty()) {
                throw new CryptoException(Reason.INVALID_CONFIG, "invalid crypto client configuration (" + p.size() + " problem"
                        + (p.size() == 1 ? "" : "s") + "): " + String.join("; ", p));
            }
            return new CryptoClientConfig(this, keys);
        }

        private void check(List<String> p) {
            if (clientName == null || !CLIENT_NAME.matcher(clientName).matches()) {
                p.add("clientName: must match [A-Za-z0-9._-]{1,64}");
            }
            if (endpoints.isEmpty()) {
                p.add("endpoints: at least one host:port is required");
            }
            for (int i = 0; i < endpoints.size(); i++) {
                String problem = endpointProblem(endpoints.get(i));
                if (problem != null) {
                    p.add("endpoints[" + i + "]: " + problem);
                }
            }
            positive(p, "timeout", timeout, Duration.ofMinutes(10));
            if (authToken.isEmpty()) {
                p.add("authToken: is required");
            } else if (!TOKEN.matcher(authToken).matches()) {
                // Never echo the token: it is a secret.
                p.add("authToken: must be 1-4096 printable ASCII characters without spaces");
            }
            if (!tlsEnabled && (tlsTrustCertificates != null || tlsClientCertificate != null || tlsClientKey != null || tlsServerName != null)) {
                p.add("tlsEnabled: TLS files or server name are set but TLS is off");
            }
            readable(p, "tlsTrustCertificates", tlsTrustCertificates);
            if ((tlsClientCertificate == null) != (tlsClientKey == null)) {
                p.add("tlsClientCertificate: the certificate chain and the private key go together");
            }
            readable(p, "tlsClientCertificate", tlsClientCertificate);
            readable(p, "tlsClientKey", tlsClientKey);
            if (tlsServerName != null && (tlsServerName.isBlank() || !HOST.matcher(tlsServerName).matches())) {
                p.add("tlsServerName: must be a host name");
            }
            boolean namespaceOk = KeyId.validName(fallbackNamespace);
            if (!namespaceOk) {
                p.add("fallbackNamespace: must match [a-z0-9][a-z0-9._-]{0,63}");
            }
            keyId(p, "encryptionKeyId", encryptionKeyId, namespaceOk);
            keyId(p, "signingKeyId", signingKeyId, namespaceOk);
            if (cacheEncryption && encryptionKeyId.isEmpty()) {
                p.add("encryptionKeyId: is required when cacheEncryption is on");
            }
            if (signing && signingKeyId.isEmpty()) {
                p.add("signingKeyId: is required when signing is on");
            }
            positive(p, "keyMetadataTtl", keyMetadataTtl, Duration.ofDays(1));
            if (keyCacheMaxEntries < 1 || keyCacheMaxEntries > 10_000_000) {
                p.add("keyCacheMaxEntries: must be between 1 and 10000000");
            }
            if (!(failureRateThreshold > 0f && failureRateThreshold <= 100f)) {
                p.add("failureRateThreshold: must be a percentage above 0 and at most 100");
            }
            if (slidingWindowSize < 1 || slidingWindowSize > 10_000) {
                p.add("slidingWindowSize: must be between 1 and 10000");
            }
            if (minimumNumberOfCalls < 1) {
                p.add("minimumNumberOfCalls: must be at least 1");
            } else if (slidingWindowSize >= 1 && minimumNumberOfCalls > slidingWindowSize) {
                p.add("minimumNumberOfCalls: must not exceed slidingWindowSize (" + slidingWindowSize + ")");
            }
            positive(p, "waitDurationInOpenState", waitDurationInOpenState, Duration.ofDays(1));
            if (permittedCallsInHalfOpenState < 1 || permittedCallsInHalfOpenState > 10_000) {
                p.add("permittedCallsInHalfOpenState: must be between 1 and 10000");
            }
            if (rateLimitPerPeriod < 0) {
                p.add("rateLimitPerPeriod: must be 0 (off) or positive");
            }
            positive(p, "rateLimitPeriod", rateLimitPeriod, Duration.ofDays(1));
            if (maxAttempts < 1 || maxAttempts > 10) {
                p.add("maxAttempts: must be between 1 and 10");
            }
            boolean initialOk = initialBackoff != null && initialBackoff.toMillis() >= 1 && initialBackoff.compareTo(Duration.ofMinutes(1)) <= 0;
            if (!initialOk) {
                p.add("initialBackoff: must be between 1 ms and 1 minute");
            }
            if (maxBackoff == null || maxBackoff.compareTo(Duration.ofMinutes(5)) > 0 || (initialOk && maxBackoff.compareTo(initialBackoff) < 0)) {
                p.add("maxBackoff: must be at least initialBackoff and at most 5 minutes");
            }
            if (!(backoffMultiplier >= 1.0 && backoffMultiplier <= 10.0)) {
                p.add("backoffMultiplier: must be between 1.0 and 10.0");
            }
            if (!(backoffJitter >= 0.0 && backoffJitter < 1.0)) {
                p.add("backoffJitter: must be at least 0 and below 1");
            }
            if (fallbackMode == null) {
                p.add("fallbackMode: is required");
            }
            if (fallbackSigningAlgorithm == null || !fallbackSigningAlgorithm.isAsymmetric()) {
                p.add("fallbackSigningAlgorithm: must be an asymmetric signature algorithm");
            }
            boolean ageOk = positive(p, "dataKeyMaxAge", dataKeyMaxAge, Duration.ofDays(1));
            if (dataKeyMaxMessages < 1 || dataKeyMaxMessages > (1L << 32)) {
                // 2^32 random 96-bit IVs per key keep the IV collision probability below 2^-32.
                p.add("dataKeyMaxMessages: must be between 1 and 2^32");
            }
            if (dataKeyMaxBytes < 1) {
                p.add("dataKeyMaxBytes: must be positive");
            }
            if (dataKeyRefreshBefore == null || dataKeyRefreshBefore.isNegative()
                    || (ageOk && dataKeyRefreshBefore.compareTo(dataKeyMaxAge) >= 0)) {
                p.add("dataKeyRefreshBefore: must be at least 0 and shorter than dataKeyMaxAge");
            }
            if (envelopeContext == null || envelopeContext.length() > 256) {
                p.add("envelopeContext: must be at most 256 characters");
            }
            if (signBatchMaxItems < 1 || signBatchMaxItems > 1000) {
                p.add("signBatchMaxItems: must be between 1 and 1000");
            }
            if (signBatchLinger == null || signBatchLinger.isNegative() || signBatchLinger.compareTo(MAX_SIGN_BATCH_LINGER) > 0) {
                p.add("signBatchLinger: must be between 0 (off) and " + MAX_SIGN_BATCH_LINGER);
            }
        }

        /**
         * Loads (or, in development mode, invents) the fallback keys and adds a problem for each
         * that is missing or unreadable. Generates and warns only when {@code forReal}.
         */
        private FallbackKeys loadFallbackKeys(List<String> p, boolean forReal) {
            boolean anyConfigured = fallbackAesKey != null || fallbackAesKeyFile != null || fallbackSigningKey != null
                    || fallbackSigningKeyFile != null;
            String ns = KeyId.validName(fallbackNamespace) ? fallbackNamespace : "keyline-fallback";
            if (!fallbackEnabled) {
                if (anyConfigured) {
                    p.add("fallbackEnabled: fallback keys are configured but fallback is off");
                }
                return FallbackKeys.none(ns);
            }
            if (fallbackAesKey != null && fallbackAesKeyFile != null) {
                p.add("fallbackAesKey: set either the key or fallbackAesKeyFile, not both");
            }
            if (fallbackSigningKey != null && fallbackSigningKeyFile != null) {
                p.add("fallbackSigningKey: set either the key or fallbackSigningKeyFile, not both");
            }
            KeyAlgorithm alg = fallbackSigningAlgorithm != null && fallbackSigningAlgorithm.isAsymmetric()
                    ? fallbackSigningAlgorithm : KeyAlgorithm.ECDSA_P256_SHA256;
            FallbackKeys.Loaded loaded = FallbackKeys.load(ns, fallbackAesKey, fallbackAesKeyFile, fallbackSigningKey, fallbackSigningKeyFile,
                    alg, p);
            if (!anyConfigured && fallbackMode == FallbackMode.PRODUCTION) {
                p.add("fallbackAesKeyFile: fallback is on in PRODUCTION mode but no fallback key is configured"
                        + " (set fallbackAesKeyFile and/or fallbackSigningKeyFile, or use DEVELOPMENT mode on a laptop)");
            }
            if (!forReal) {
                return FallbackKeys.none(ns);
            }
            return fallbackMode == FallbackMode.DEVELOPMENT ? loaded.withEphemeralWhereMissing(alg) : loaded.keys();
        }

        private static String endpointProblem(String e) {
            if (e == null || e.isBlank()) {
                return "must be host:port";
            }
            int colon = e.lastIndexOf(':');
            if (colon <= 0 || colon == e.length() - 1) {
                return "must be host:port";
            }
            String host = e.substring(0, colon);
            String port = e.substring(colon + 1);
            if (!HOST.matcher(host).matches()) {
                return "host must be a name, an IPv4 address or a bracketed IPv6 address";
            }
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                return "port must be between 1 and 65535";
            }
            return null;
        }

        private static boolean positive(List<String> p, String field, Duration d, Duration max) {
            if (d == null || d.isNegative() || d.isZero() || d.compareTo(max) > 0) {
                p.add(field + ": must be positive and at most " + max);
                return false;
            }
            return true;
        }

        private static void readable(List<String> p, String field, Path f) {
            if (f != null && !Files.isReadable(f)) {
                p.add(field + ": " + f + " is not a readable file");
            }
        }

        private void keyId(List<String> p, String field, String text, boolean checkNamespace) {
            if (text.isEmpty()) {
                return;
            }
            try {
                KeyId id = KeyId.parse(text);
                if (checkNamespace && id.namespace().equals(fallbackNamespace)) {
                    p.add(field + ": namespace " + id.namespace() + " is reserved for the fallback keys");
                }
            } catch (CryptoException e) {
                p.add(field + ": '" + text + "' is not namespace/id/version (" + e.getMessage() + ")");
            }
        }
    }
}
