package dev.keyline.crypto.service.server;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of the crypto service. Built from defaults, then a YAML section and environment
 * variables (see docs/configuration.md). {@link #validate()} lists every problem at once.
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
        Path dataDir = Path.of(env.getOrDefault("KEYLINE_DATA_DIR", "keyline-data"));
        Builder b = new Builder(dataDir);
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

    /** Mutable builder; every setter validates later, in {@link #build()}. */
    public static final class Builder {
        private Path dataDir;
        private String grpcHost = "127.0.0.1";
        private String grpcPort = String.valueOf(DEFAULT_GRPC_PORT);
        private String httpHost = "127.0.0.1";
        private String httpPort = String.valueOf(DEFAULT_HTTP_PORT);
        private String storeUrl = "";
        private String storeUser = "";
        private String storePassword = "";
        private String storeSchema = "";
        private String masterKey = "";
        private String maxPayloadBytes = String.valueOf(1 << 20);
        private String maxBatchItems = "1000";
        private String metadataTtl = "PT1S";
        private String pendingDeletionDelay = "P7D";
        private String maintenanceInterval = "PT30S";
        private String tlsCert = "";
        private String tlsKey = "";
        private String tlsClientCa = "";
        private String auditLog = "";
        private String allowInsecure = "false";
        private String trustExistingRows = "false";
        private String materialCacheTtl = "PT5M";
        private String encryptionRotateAfter = String.valueOf(1L << 31);
        private String encryptionLimit = String.valueOf(1L << 32);
        private String encryptionCountBlock = String.valueOf(1L << 20);

        Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** Applies settings from a lookup of environment-variable names. */
        public Builder apply(java.util.function.Function<String, String> lookup) {
            Optional.ofNullable(lookup.apply("KEYLINE_DATA_DIR")).ifPresent(v -> dataDir = Path.of(v));
            grpcHost = or(lookup, "KEYLINE_CRYPTO_GRPC_HOST", grpcHost);
            grpcPort = or(lookup, "KEYLINE_CRYPTO_GRPC_PORT", grpcPort);
            httpHost = or(lookup, "KEYLINE_CRYPTO_HTTP_HOST", httpHost);
            httpPort = or(lookup, "KEYLINE_CRYPTO_HTTP_PORT", httpPort);
            storeUrl = or(lookup, "KEYLINE_STORE_URL", storeUrl);
            storeUser = or(lookup, "KEYLINE_STORE_USER", storeUser);
            storePassword = or(lookup, "KEYLINE_STORE_PASSWORD", storePassword);
            storeSchema = or(lookup, "KEYLINE_STORE_SCHEMA", storeSchema);
            masterKey = or(lookup, "KEYLINE_MASTER_KEY", masterKey);
            maxPayloadBytes = or(lookup, "KEYLINE_CRYPTO_MAX_PAYLOAD_BYTES", maxPayloadBytes);
            maxBatchItems = or(lookup, "KEYLINE_CRYPTO_MAX_BATCH_ITEMS", maxBatchItems);
            metadataTtl = or(lookup, "KEYLINE_CRYPTO_METADATA_TTL", metadataTtl);
            pendingDeletionDelay = or(lookup, "KEYLINE_CRYPTO_PENDING_DELETION_DELAY", pendingDeletionDelay);
            maintenanceInterval = or(lookup, "KEYLINE_CRYPTO_MAINTENANCE_INTERVAL", maintenanceInterval);
            tlsCert = or(lookup, "KEYLINE_CRYPTO_TLS_CERT", tlsCert);
            tlsKey = or(lookup, "KEYLINE_CRYPTO_TLS_KEY", tlsKey);
            tlsClientCa = or(lookup, "KEYLINE_CRYPTO_TLS_CLIENT_CA", tlsClientCa);
            auditLog = or(lookup, "KEYLINE_CRYPTO_AUDIT_LOG", auditLog);
            allowInsecure = or(lookup, "KEYLINE_CRYPTO_ALLOW_INSECURE", allowInsecure);
            trustExistingRows = or(lookup, "KEYLINE_STORE_TRUST_EXISTING_ROWS", trustExistingRows);
            materialCacheTtl = or(lookup, "KEYLINE_CRYPTO_MATERIAL_CACHE_TTL", materialCacheTtl);
            encryptionRotateAfter = or(lookup, "KEYLINE_CRYPTO_ENCRYPTION_ROTATE_AFTER", encryptionRotateAfter);
            encryptionLimit = or(lookup, "KEYLINE_CRYPTO_ENCRYPTION_LIMIT", encryptionLimit);
            encryptionCountBlock = or(lookup, "KEYLINE_CRYPTO_ENCRYPTION_COUNT_BLOCK", encryptionCountBlock);
            return this;
        }

        private static String or(java.util.function.Function<String, String> lookup, String name, String current) {
            String v = lookup.apply(name);
            return v == null ? current : v.trim();
        }

        public Builder dataDir(Path v) { dataDir = v; return this; }
        public Builder grpcHost(String v) { grpcHost = v; return this; }
        public Builder grpcPort(int v) { grpcPort = String.valueOf(v); return this; }
        public Builder httpHost(String v) { httpHost = v; return this; }
        public Builder httpPort(int v) { httpPort = String.valueOf(v); return this; }
        public Builder storeUrl(String v) { storeUrl = v; return this; }
        public Builder storeUser(String v) { storeUser = v; return this; }
        public Builder storePassword(String v) { storePassword = v; return this; }
        public Builder storeSchema(String v) { storeSchema = v; return this; }
        public Builder masterKeyBase64(String v) { masterKey = v; return this; }
        public Builder maxPayloadBytes(int v) { maxPayloadBytes = String.valueOf(v); return this; }
        public Builder maxBatchItems(int v) { maxBatchItems = String.valueOf(v); return this; }
        public Builder metadataTtl(Duration v) { metadataTtl = v.toString(); return this; }
        public Builder pendingDeletionDelay(Duration v) { pendingDeletionDelay = v.toString(); return this; }
        public Builder maintenanceInterval(Duration v) { maintenanceInterval = v.toString(); return this; }
        /** Accept a plaintext gRPC port on a non-loopback address (see {@link #build()}). */
        public Builder allowInsecure(boolean v) { allowInsecure = String.valueOf(v); return this; }
        public Builder materialCacheTtl(Duration v) { materialCacheTtl = v.toString(); return this; }
        /** Rotate a key past {@code rotateAfter} encryptions of its primary, refuse at {@code limit}; reserve {@code block} at a time. */
        public Builder encryptionLimits(long rotateAfter, long limit, long block) {
            encryptionRotateAfter = String.valueOf(rotateAfter);
            encryptionLimit = String.valueOf(limit);
            encryptionCountBlock = String.valueOf(block);
            return this;
        }
        public Builder tls(Path cert, Path key, Path clientCa) {
            tlsCert = cert == null ? "" : cert.toString();
            tlsKey = key == null ? "" : key.toString();
            tlsClientCa = clientCa == null ? "" : clientCa.toString();
            return this;
        }

        /**
         * Validates every setting and lists all problems, each naming its setting, in one exception.
         * A gRPC port bound to anything but a loopback address without TLS is one of them unless
         * {@code KEYLINE_CRYPTO_ALLOW_INSECURE=true}: bearer tokens, plaintexts and data keys would
         * cross the network in the clear.
         */
        public CryptoServiceConfig build() {
            List<String> problems = new ArrayList<>();
            int gp = port("KEYLINE_CRYPTO_GRPC_PORT", grpcPort, problems);
            int hp = port("KEYLINE_CRYPTO_HTTP_PORT", httpPort, problems);
            int maxPayload = positiveInt("KEYLINE_CRYPTO_MAX_PAYLOAD_BYTES", maxPayloadBytes, 64 << 20, problems);
            int maxBatch = positiveInt("KEYLINE_CRYPTO_MAX_BATCH_ITEMS", maxBatchItems, 100_000, problems);
            Duration ttl = duration("KEYLINE_CRYPTO_METADATA_TTL", metadataTtl, problems);
            Duration deletion = duration("KEYLINE_CRYPTO_PENDING_DELETION_DELAY", pendingDeletionDelay, problems);
            Duration maintenance = duration("KEYLINE_CRYPTO_MAINTENANCE_INTERVAL", maintenanceInterval, problems);
            if (maintenance != null && maintenance.isZero()) {
                problems.add("KEYLINE_CRYPTO_MAINTENANCE_INTERVAL must be positive");
            }
            Duration materialTtl = duration("KEYLINE_CRYPTO_MATERIAL_CACHE_TTL", materialCacheTtl, problems);
            if (materialTtl != null && materialTtl.isZero()) {
                problems.add("KEYLINE_CRYPTO_MATERIAL_CACHE_TTL must be positive");
            }
            long limit = positiveLong("KEYLINE_CRYPTO_ENCRYPTION_LIMIT", encryptionLimit, 1L << 32, problems);
            long rotateAfter = positiveLong("KEYLINE_CRYPTO_ENCRYPTION_ROTATE_AFTER", encryptionRotateAfter, 1L << 32, problems);
            long block = positiveLong("KEYLINE_CRYPTO_ENCRYPTION_COUNT_BLOCK", encryptionCountBlock, 1L << 32, problems);
            if (limit > 0 && rotateAfter > limit) {
                problems.add("KEYLINE_CRYPTO_ENCRYPTION_ROTATE_AFTER must not be above KEYLINE_CRYPTO_ENCRYPTION_LIMIT");
            }
            if (grpcHost.isBlank()) {
                problems.add("KEYLINE_CRYPTO_GRPC_HOST must not be empty");
            }
            if (httpHost.isBlank()) {
                problems.add("KEYLINE_CRYPTO_HTTP_HOST must not be empty");
            }
            String url = storeUrl.isBlank() ? "jdbc:sqlite:" + dataDir.resolve("keys.db").toAbsolutePath() : storeUrl;
            if (!url.startsWith("jdbc:sqlite:") && !url.startsWith("jdbc:postgresql:")) {
                problems.add("KEYLINE_STORE_URL must start with jdbc:sqlite: or jdbc:postgresql:");
            }
            if (tlsCert.isEmpty() != tlsKey.isEmpty()) {
                problems.add("KEYLINE_CRYPTO_TLS_CERT and KEYLINE_CRYPTO_TLS_KEY must be set together");
            }
            if (!tlsClientCa.isEmpty() && tlsCert.isEmpty()) {
                problems.add("KEYLINE_CRYPTO_TLS_CLIENT_CA (mutual TLS) needs KEYLINE_CRYPTO_TLS_CERT and KEYLINE_CRYPTO_TLS_KEY");
            }
            for (String[] f : new String[][] {{"KEYLINE_CRYPTO_TLS_CERT", tlsCert}, {"KEYLINE_CRYPTO_TLS_KEY", tlsKey},
                    {"KEYLINE_CRYPTO_TLS_CLIENT_CA", tlsClientCa}}) {
                if (!f[1].isEmpty() && !java.nio.file.Files.isReadable(Path.of(f[1]))) {
                    problems.add(f[0] + " names a file that cannot be read: " + f[1]);
                }
            }
            boolean insecure = bool("KEYLINE_CRYPTO_ALLOW_INSECURE", allowInsecure, problems);
            boolean trustRows = bool("KEYLINE_STORE_TRUST_EXISTING_ROWS", trustExistingRows, problems);
            if (tlsCert.isEmpty() && !insecure && !grpcHost.isBlank() && !isLoopback(grpcHost)) {
                problems.add("KEYLINE_CRYPTO_GRPC_HOST is " + grpcHost + ", not a loopback address, and TLS is off: set KEYLINE_CRYPTO_TLS_CERT"
                        + " and KEYLINE_CRYPTO_TLS_KEY, or KEYLINE_CRYPTO_ALLOW_INSECURE=true to serve plaintext gRPC on the network");
            }
            if (!problems.isEmpty()) {
                throw new CryptoException(Reason.INVALID_CONFIG, "invalid crypto service configuration: " + String.join("; ", problems));
            }
            return new CryptoServiceConfig(dataDir, grpcHost, gp, httpHost, hp, url, storeUser, storePassword, storeSchema, masterKey,
                    maxPayload, maxBatch, ttl, deletion, maintenance,
                    tlsCert.isEmpty() ? null : Path.of(tlsCert), tlsKey.isEmpty() ? null : Path.of(tlsKey),
                    tlsClientCa.isEmpty() ? null : Path.of(tlsClientCa),
                    auditLog.isEmpty() ? dataDir.resolve("audit.log") : Path.of(auditLog), insecure, trustRows,
                    new dev.keyline.crypto.service.keys.KeyUsageLimits(materialTtl, rotateAfter, limit, block));
        }

        private static boolean bool(String name, String v, List<String> problems) {
            return switch (v.toLowerCase(java.util.Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> {
                    problems.add(name + " must be true or false, got '" + v + "'");
                    yield false;
                }
            };
        }

        private static long positiveLong(String name, String v, long max, List<String> problems) {
            try {
                long n = Long.parseLong(v);
                if (n < 1 || n > max) {
                    problems.add(name + " must be between 1 and " + max + ", got " + v);
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add(name + " must be an integer, got '" + v + "'");
                return -1;
            }
        }

        private static int port(String name, String v, List<String> problems) {
            try {
                int p = Integer.parseInt(v);
                if (p < 0 || p > 65535) {
                    problems.add(name + " must be between 0 and 65535, got " + v);
                }
                return p;
            } catch (NumberFormatException e) {
                problems.add(name + " must be a port number, got '" + v + "'");
                return -1;
            }
        }

        private static int positiveInt(String name, String v, int max, List<String> problems) {
            return (int) positiveLong(name, v, max, problems);
        }

        private static Duration duration(String name, String v, List<String> problems) {
            try {
                Duration d = Duration.parse(v);
                if (d.isNegative()) {
                    problems.add(name + " must not be negative");
                }
                return d;
            } catch (java.time.format.DateTimeParseException e) {
                problems.add(name + " must be an ISO-8601 duration such as PT30S, got '" + v + "'");
                return null;
            }
        }
    }
}
