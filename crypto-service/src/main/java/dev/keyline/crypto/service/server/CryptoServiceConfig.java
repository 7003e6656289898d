package dev.keyline.crypto.service.server;

import dev.keyline.kit.config.ConfigException;
import dev.keyline.kit.config.ConfigReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of the crypto service. Built from defaults, then a YAML section and environment
 * variables (see docs/configuration.md). {@link Builder#build()} lists every problem at once.
 */
public record CryptoServiceConfig(
        Path dataDir,
        String grpcHost,
        int grpcPort,
        String httpHost,
        int httpPort,
        String storeUrl,
        String storeUser,
        String storePassword,
        String storeSchema,
        String masterKeyBase64,
        int maxPayloadBytes,
        int maxBatchItems,
        Duration metadataTtl,
        Duration pendingDeletionDelay,
        Duration maintenanceInterval,
        Path tlsCertChain,
        Path tlsPrivateKey,
        Path tlsClientCa,
        Path auditLog,
        boolean allowInsecure,
        boolean trustExistingRows,
        dev.keyline.crypto.service.keys.KeyUsageLimits keyUsage) {

    public static final int DEFAULT_GRPC_PORT = 50051;
    public static final int DEFAULT_HTTP_PORT = 9001;
    /** The subject of this service's {@link ConfigException}s. */
    public static final String SUBJECT = "crypto service";
    static final String GRPC_HOST = "KEYLINE_CRYPTO_GRPC_HOST";
    static final String GRPC_PORT = "KEYLINE_CRYPTO_GRPC_PORT";
    static final String HTTP_HOST = "KEYLINE_CRYPTO_HTTP_HOST";
    static final String HTTP_PORT = "KEYLINE_CRYPTO_HTTP_PORT";
    private static final String MAX_PAYLOAD = "KEYLINE_CRYPTO_MAX_PAYLOAD_BYTES";
    private static final String MAX_BATCH = "KEYLINE_CRYPTO_MAX_BATCH_ITEMS";
    private static final String METADATA_TTL = "KEYLINE_CRYPTO_METADATA_TTL";
    private static final String DELETION_DELAY = "KEYLINE_CRYPTO_PENDING_DELETION_DELAY";
    private static final String MAINTENANCE = "KEYLINE_CRYPTO_MAINTENANCE_INTERVAL";
    private static final String TLS_CERT = "KEYLINE_CRYPTO_TLS_CERT";
    private static final String TLS_KEY = "KEYLINE_CRYPTO_TLS_KEY";
    private static final String TLS_CLIENT_CA = "KEYLINE_CRYPTO_TLS_CLIENT_CA";
    private static final String ALLOW_INSECURE = "KEYLINE_CRYPTO_ALLOW_INSECURE";
    private static final String TRUST_ROWS = "KEYLINE_STORE_TRUST_EXISTING_ROWS";
    private static final String MATERIAL_TTL = "KEYLINE_CRYPTO_MATERIAL_CACHE_TTL";
    private static final String ROTATE_AFTER = "KEYLINE_CRYPTO_ENCRYPTION_ROTATE_AFTER";
    private static final String LIMIT = "KEYLINE_CRYPTO_ENCRYPTION_LIMIT";
    private static final String COUNT_BLOCK = "KEYLINE_CRYPTO_ENCRYPTION_COUNT_BLOCK";

    @Override
    public String toString() {
        return "CryptoServiceConfig[dataDir=" + dataDir + ", grpc=" + grpcHost + ":" + grpcPort + ", http=" + httpHost + ":" + httpPort
                + ", store=" + storeUrl.replaceAll("password=[^&]*", "password=***") + ", masterKey="
                + (masterKeyBase64.isEmpty() ? "file" : "env (redacted)") + "]";
    }

    /** The defaults for a data directory: SQLite store, master key file and audit log inside it. */
    public static Builder defaults(Path dataDir) {
        return new Builder(dataDir);
    }

    /**
     * Defaults, overridden by environment variables ({@code KEYLINE_*}). Unknown values of known
     * variables are reported by {@link Builder#build()}.
     */
    public static Builder fromEnvironment(Map<String, String> env) {
        Builder b = new Builder(ConfigReader.of(env).dataDir());
        b.apply(env::get);
        return b;
    }

    public Path path(String name) {
        return dataDir.resolve(name);
    }

    /**
     * Whether {@code host} names only loopback addresses: {@code localhost}, 127.0.0.0/8 or ::1.
     * A wildcard (0.0.0.0, ::) is not; a name that does not resolve is not either.
     */
    public static boolean isLoopback(String host) {
        String h = host.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            java.net.InetAddress[] all = java.net.InetAddress.getAllByName(h);
            for (java.net.InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    public boolean tlsEnabled() {
        return tlsCertChain != null;
    }

    /**
     * Mutable builder over the settings by variable name ({@code KEYLINE_*}): setters and
     * {@link #apply} store text, and {@link #build()} reads it all through one
     * {@link ConfigReader}, so a value set in code and one from the environment are checked alike.
     */
    public static final class Builder {
        private static final List<String> NAMES = List.of(GRPC_HOST, GRPC_PORT, HTTP_HOST, HTTP_PORT, "KEYLINE_STORE_URL",
                "KEYLINE_STORE_USER", "KEYLINE_STORE_PASSWORD", "KEYLINE_STORE_SCHEMA", "KEYLINE_MASTER_KEY", MAX_PAYLOAD, MAX_BATCH,
                METADATA_TTL, DELETION_DELAY, MAINTENANCE, TLS_CERT, TLS_KEY, TLS_CLIENT_CA, "KEYLINE_CRYPTO_AUDIT_LOG", ALLOW_INSECURE,
                TRUST_ROWS, MATERIAL_TTL, ROTATE_AFTER, LIMIT, COUNT_BLOCK);

        private Path dataDir;
        private final Map<String, String> values = new HashMap<>();

        Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /**
         * Applies settings from a lookup of environment-variable names; a name it has no value for,
         * or a blank one (unset, as everywhere), is left as it is.
         */
        public Builder apply(java.util.function.Function<String, String> lookup) {
            ConfigReader r = new ConfigReader(lookup);
            r.path(ConfigReader.DATA_DIR).ifPresent(v -> dataDir = v);
            for (String name : NAMES) {
                r.string(name).ifPresent(v -> values.put(name, v));
            }
            return this;
        }

        private Builder set(String name, Object v) {
            values.put(name, v == null ? "" : v.toString());
            return this;
        }

        public Builder dataDir(Path v) { dataDir = v; return this; }
        public Builder grpcHost(String v) { return set(GRPC_HOST, v); }
        public Builder grpcPort(int v) { return set(GRPC_PORT, v); }
        public Builder httpHost(String v) { return set(HTTP_HOST, v); }
        public Builder httpPort(int v) { return set(HTTP_PORT, v); }
        public Builder storeUrl(String v) { return set("KEYLINE_STORE_URL", v); }
        public Builder storeUser(String v) { return set("KEYLINE_STORE_USER", v); }
        public Builder storePassword(String v) { return set("KEYLINE_STORE_PASSWORD", v); }
        public Builder storeSchema(String v) { return set("KEYLINE_STORE_SCHEMA", v); }
        public Builder masterKeyBase64(String v) { return set("KEYLINE_MASTER_KEY", v); }
        public Builder maxPayloadBytes(int v) { return set(MAX_PAYLOAD, v); }
        public Builder maxBatchItems(int v) { return set(MAX_BATCH, v); }
        public Builder metadataTtl(Duration v) { return set(METADATA_TTL, v); }
        public Builder pendingDeletionDelay(Duration v) { return set(DELETION_DELAY, v); }
        public Builder maintenanceInterval(Duration v) { return set(MAINTENANCE, v); }
        /** Accept a plaintext gRPC port on a non-loopback address (see {@link #build()}). */
        public Builder allowInsecure(boolean v) { return set(ALLOW_INSECURE, v); }
        public Builder materialCacheTtl(Duration v) { return set(MATERIAL_TTL, v); }
        /** Rotate a key past {@code rotateAfter} encryptions of its primary, refuse at {@code limit}; reserve {@code block} at a time. */
        public Builder encryptionLimits(long rotateAfter, long limit, long block) {
            return set(ROTATE_AFTER, rotateAfter).set(LIMIT, limit).set(COUNT_BLOCK, block);
        }
        public Builder tls(Path cert, Path key, Path clientCa) {
            return set(TLS_CERT, cert).set(TLS_KEY, key).set(TLS_CLIENT_CA, clientCa);
        }

        /**
         * Validates every setting and lists all problems, each naming its setting, in one
         * {@link ConfigException}. A gRPC port bound to anything but a loopback address without TLS
         * is one of them unless {@code KEYLINE_CRYPTO_ALLOW_INSECURE=true}: bearer tokens,
         * plaintexts and data keys would cross the network in the clear.
         */
        public CryptoServiceConfig build() {
            ConfigReader r = new ConfigReader(values::get);
            String grpcHost = r.string(GRPC_HOST, "127.0.0.1");
            String httpHost = r.string(HTTP_HOST, "127.0.0.1");
            int gp = r.port(GRPC_PORT, DEFAULT_GRPC_PORT);
            int hp = r.port(HTTP_PORT, DEFAULT_HTTP_PORT);
            int maxPayload = r.integer(MAX_PAYLOAD, 1 << 20, 1, 64 << 20);
            int maxBatch = r.integer(MAX_BATCH, 1000, 1, 100_000);
            Duration ttl = r.duration(METADATA_TTL, Duration.ofSeconds(1));
            Duration deletion = r.duration(DELETION_DELAY, Duration.ofDays(7));
            Duration maintenance = positive(r, MAINTENANCE, Duration.ofSeconds(30));
            Duration materialTtl = positive(r, MATERIAL_TTL, Duration.ofMinutes(5));
            long limit = r.longValue(LIMIT, 1L << 32, 1, 1L << 32);
            long rotateAfter = r.longValue(ROTATE_AFTER, 1L << 31, 1, 1L << 32);
            long block = r.longValue(COUNT_BLOCK, 1L << 20, 1, 1L << 32);
            if (rotateAfter > limit) {
                r.problem(ROTATE_AFTER, "must not be above " + LIMIT);
            }
            String storeUrl = r.string("KEYLINE_STORE_URL", "");
            String url = storeUrl.isEmpty() ? "jdbc:sqlite:" + dataDir.resolve("keys.db").toAbsolutePath() : storeUrl;
            if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
                r.problem("KEYLINE_STORE_URL", "must start with jdbc:sqlite: or jdbc:postgresql:");
            }
            Optional<Path> cert = r.path(TLS_CERT);
            Optional<Path> key = r.path(TLS_KEY);
            Optional<Path> clientCa = r.path(TLS_CLIENT_CA);
            if (cert.isPresent() != key.isPresent()) {
                r.problem(TLS_CERT + " and " + TLS_KEY + ": must be set together");
            }
            if (clientCa.isPresent() && cert.isEmpty()) {
                r.problem(TLS_CLIENT_CA, "(mutual TLS) needs " + TLS_CERT + " and " + TLS_KEY);
            }
            readable(r, TLS_CERT, cert);
            readable(r, TLS_KEY, key);
            readable(r, TLS_CLIENT_CA, clientCa);
            boolean insecure = r.bool(ALLOW_INSECURE, false);
            boolean trustRows = r.bool(TRUST_ROWS, false);
            if (cert.isEmpty() && !insecure && !isLoopback(grpcHost)) {
                r.problem(GRPC_HOST, "is " + grpcHost + ", not a loopback address, and TLS is off: set " + TLS_CERT + " and " + TLS_KEY
                        + ", or " + ALLOW_INSECURE + "=true to serve plaintext gRPC on the network");
            }
            r.throwIfInvalid(SUBJECT);
            return new CryptoServiceConfig(dataDir, grpcHost, gp, httpHost, hp, url, r.string("KEYLINE_STORE_USER", ""),
                    r.secret("KEYLINE_STORE_PASSWORD").orElse(""), r.string("KEYLINE_STORE_SCHEMA", ""),
                    r.secret("KEYLINE_MASTER_KEY").orElse(""), maxPayload, maxBatch, ttl, deletion, maintenance,
                    cert.orElse(null), key.orElse(null), clientCa.orElse(null),
                    r.path("KEYLINE_CRYPTO_AUDIT_LOG").orElse(dataDir.resolve("audit.log")), insecure, trustRows,
                    new dev.keyline.crypto.service.keys.KeyUsageLimits(materialTtl, rotateAfter, limit, block));
        }

        private static Duration positive(ConfigReader r, String name, Duration fallback) {
            Duration d = r.duration(name, fallback);
            if (d.isZero()) {
                r.problem(name, "must be positive");
                return fallback;
            }
            return d;
        }

        private static void readable(ConfigReader r, String name, Optional<Path> file) {
            file.filter(f -> !java.nio.file.Files.isReadable(f)).ifPresent(f -> r.problem(name, "names a file that cannot be read: " + f));
        }
    }
}
