package dev.keyline.testsupport;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import io.grpc.ServerInterceptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A real crypto service for tests, with its SQLite store, master key, admin token and audit log in
 * a test's data directory. It listens on a loopback port chosen by the OS (HTTP too, unless turned
 * off) or, with {@link Builder#inProcess()}, on an in-process gRPC name only. Interceptors placed
 * around the service (outermost first) let a test hold, fail or observe RPCs.
 *
 * <p>{@link #stop()} and {@link #restart()} simulate an outage: the restart reuses the data
 * directory and the gRPC port, so keys, callers and tokens survive.
 */
public final class CryptoServiceFixture implements AutoCloseable {
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    private final Path dataDir;
    private final boolean inProcess;
    private final String inProcessName;
    private final boolean withHttp;
    private final InstantSource clock;
    private final List<ServerInterceptor> interceptors;
    private final UnaryOperator<CryptoServiceConfig.Builder> settings;
    private final Map<String, String> callers = new ConcurrentHashMap<>();
    private final int grpcPort;
    private final String adminToken;
    private volatile CryptoServer server;

    private CryptoServiceFixture(Builder b) {
        this.dataDir = b.dataDir;
        this.inProcess = b.inProcess;
        this.inProcessName = "keyline-test-" + UUID.randomUUID();
        this.withHttp = b.withHttp;
        this.clock = b.clock;
        this.interceptors = List.copyOf(b.interceptors);
        this.settings = b.settings;
        this.server = startServer(0);
        this.grpcPort = server.grpcPort();
        // A start on an existing data directory finds the admin token where the first start wrote it.
        this.adminToken = server.createdAdminToken().orElseGet(this::readAdminTokenFile);
    }

    /** On a loopback port with the HTTP endpoints, no interceptors. */
    public static CryptoServiceFixture start(Path dataDir) {
        return builder(dataDir).start();
    }

    /** On a loopback port with {@code interceptors} around the service (outermost first). */
    public static CryptoServiceFixture start(Path dataDir, List<ServerInterceptor> interceptors) {
        return builder(dataDir).interceptors(interceptors).start();
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** How the fixture's service starts; every setting has a test-friendly default. */
    public static final class Builder {
        private final Path dataDir;
        private boolean inProcess;
        private boolean withHttp = true;
        private InstantSource clock = InstantSource.system();
        private List<ServerInterceptor> interceptors = List.of();
        private UnaryOperator<CryptoServiceConfig.Builder> settings = b -> b;

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        }

        /** gRPC on an in-process name only ({@link #inProcessName()}), no HTTP. */
        public Builder inProcess() {
            this.inProcess = true;
            this.withHttp = false;
            return this;
        }

        /** No HTTP endpoints ({@code /health}, {@code /metrics}). */
        public Builder withoutHttp() {
            this.withHttp = false;
            return this;
        }

        public Builder clock(InstantSource v) {
            this.clock = Objects.requireNonNull(v, "clock");
            return this;
        }

        /** Interceptors around the service, outermost first, before authentication. */
        public Builder interceptors(List<ServerInterceptor> v) {
            this.interceptors = List.copyOf(v);
            return this;
        }

        /** Further service settings on top of the fixture's (loopback hosts, ports chosen by the OS). */
        public Builder settings(UnaryOperator<CryptoServiceConfig.Builder> v) {
            this.settings = Objects.requireNonNull(v, "settings");
            return this;
        }

        public CryptoServiceFixture start() {
            return new CryptoServiceFixture(this);
        }
    }

    private CryptoServer startServer(int port) {
        CryptoServiceConfig config = settings.apply(CryptoServiceConfig.defaults(dataDir)
                .grpcHost("127.0.0.1").grpcPort(port).httpHost("127.0.0.1").httpPort(0)).build();
        CryptoServer.Transport transport = inProcess ? new CryptoServer.InProcess(inProcessName) : new CryptoServer.Network();
        return CryptoServer.start(config, transport, withHttp, clock, interceptors);
    }

    private String readAdminTokenFile() {
        try {
            return Files.readString(dataDir.resolve(CryptoServer.ADMIN_TOKEN_FILE), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The running service; fails between {@link #stop()} and {@link #restart()}. */
    public CryptoServer server() {
        CryptoServer s = server;
        if (s == null) {
            throw new IllegalStateException("the crypto service is stopped");
        }
        return s;
    }

    /** {@code 127.0.0.1:<port>} of the gRPC server (network transport). */
    public String endpoint() {
        return "127.0.0.1:" + grpcPort;
    }

    public int grpcPort() {
        return grpcPort;
    }

    /** The in-process gRPC name, when started {@link Builder#inProcess()}. */
    public Optional<String> inProcessName() {
        return inProcess ? Optional.of(inProcessName) : Optional.empty();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The admin caller's token ({@code *:*}), as the service wrote it to {@code admin.token}. */
    public String adminToken() {
        return adminToken;
    }

    /**
     * The token of caller {@code name} with {@code grants} (e.g. {@code "ns:encrypt,decrypt"}),
     * issued on first use and the same afterwards (the caller lives in the store, so it survives a
     * restart). Asking for the same name with other grants re-issues that caller, which invalidates
     * the token handed out before: use one grant list per name.
     */
    public String callerToken(String name, String grants) {
        return callers.computeIfAbsent(name + "\n" + grants, k -> server().access().issue(name, Grant.parseList(grants)).token());
    }

    /** A fresh caller with a unique name that may only do {@code grants}. */
    public String newCallerToken(String grants) {
        return server().access().issue("caller-" + UNIQUE.incrementAndGet(), Grant.parseList(grants)).token();
    }

    /**
     * A new key with a unique id in {@code namespace}, created through the service's own registry
     * (no RPC, so a client under test sees no call and caches nothing).
     */
    public KeyId newKey(String namespace, KeyAlgorithm algorithm) {
        KeyId id = KeyId.of(namespace, algorithm.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + UNIQUE.incrementAndGet());
        server().keys().create(id, algorithm, Duration.ZERO);
        return id;
    }

    /** Rotates {@code id}'s ring; returns the new primary version. */
    public int rotate(KeyId id) {
        return server().keys().rotate(id.unversioned()).primaryVersion();
    }

    public void setState(KeyId id, KeyState state) {
        server().keys().setState(id, state);
    }

    /** What a shell next to the service would have: its data dir and gRPC port. */
    public Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("KEYLINE_DATA_DIR", dataDir.toString());
        env.put("KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(grpcPort));
        return env;
    }

    /** {@link #env()} plus {@code KEYLINE_TOKEN}. */
    public Map<String, String> envWithToken(String token) {
        Map<String, String> env = env();
        env.put("KEYLINE_TOKEN", token);
        return env;
    }

    /** Waits until every audit event so far is on disk. */
    public void flushAudit() {
        if (!server().audit().flush(5, TimeUnit.SECONDS)) {
            throw new IllegalStateException("audit log did not flush");
        }
    }

    /** Stops the service (graceful: in-flight calls finish; the port closes). Idempotent. */
    public synchronized void stop() {
        CryptoServer s = server;
        if (s != null) {
            server = null;
            s.close();
        }
    }

    /** Starts it again on the same data directory and gRPC port. */
    public synchronized void restart() {
        if (server != null) {
            throw new IllegalStateException("the crypto service is running");
        }
        server = startServer(grpcPort);
    }

    @Override
    public void close() {
        stop();
    }
}
