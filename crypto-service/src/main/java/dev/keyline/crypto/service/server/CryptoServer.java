package dev.keyline.crypto.service.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.service.access.AccessControl;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.audit.AuditEvent;
import dev.keyline.crypto.service.audit.AuditLog;
import dev.keyline.crypto.service.grpc.CryptoGrpcService;
import dev.keyline.crypto.service.grpc.GrpcServices;
import dev.keyline.crypto.service.grpc.ServiceMetrics;
import dev.keyline.crypto.service.keys.KeyOperations;
import dev.keyline.crypto.service.keys.KeyRegistry;
import dev.keyline.crypto.service.store.JdbcKeyStore;
import dev.keyline.crypto.service.store.MasterKey;
import dev.keyline.kit.Health;
import dev.keyline.kit.config.ConfigException;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running crypto service: key store, master key, access control, audit log, the gRPC server
 * (with grpc.health.v1 and reflection) and the HTTP server for {@code /health} and
 * {@code /metrics}. {@link #close()} drains in-flight calls and releases everything.
 */
public final class CryptoServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CryptoServer.class);
    public static final String ADMIN_TOKEN_FILE = "admin.token";

    private final CryptoServiceConfig config;
    private final JdbcKeyStore store;
    private final MasterKey masterKey;
    private final AccessControl access;
    private final KeyRegistry keys;
    private final KeyOperations operations;
    private final AuditLog audit;
    private final PrometheusMeterRegistry meters;
    private final HealthStatusManager grpcHealth;
    private final Server grpcServer;
    private final Javalin http;
    private final ScheduledExecutorService maintenance;
    private final Optional<String> createdAdminToken;
    private final InstantSource clock;

    /** How the gRPC server is reached. */
    public sealed interface Transport permits Network, InProcess { }

    /** TCP on the configured host and port (port 0 picks a free one). */
    public record Network() implements Transport { }

    /** In-process only, under {@code name} (tests and one-JVM deployments). */
    public record InProcess(String name) implements Transport { }

    private CryptoServer(CryptoServiceConfig config, Transport transport, boolean withHttp, InstantSource clock, SecureRandom random,
            List<io.grpc.ServerInterceptor> extraInterceptors) {
        this.config = config;
        this.clock = clock;
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw ConfigException.of(CryptoServiceConfig.SUBJECT, "KEYLINE_DATA_DIR: cannot create " + config.dataDir() + " (" + e.getMessage() + ")");
        }
        this.masterKey = MasterKey.load(config.masterKeyBase64(), config.path("master.key"), random);
        if (masterKey.source() == MasterKey.Source.FILE_CREATED) {
            LOG.warn("created a new master key in {} (mode 0600); this is for development: in production set KEYLINE_MASTER_KEY"
                    + " from your secret manager", config.path("master.key"));
        }
        // Opened before the store, so that rows the store refuses (bad row MAC) are audited from the first read.
        AuditLog openedAudit = AuditLog.open(config.auditLog(), masterKey.auditCheckpointMac());
        JdbcKeyStore openedStore;
        try {
            openedStore = JdbcKeyStore.open(config.storeUrl(), config.storeUser(), config.storePassword(), config.storeSchema(), masterKey,
                    refusedRowAuditor(openedAudit, clock), config.trustExistingRows());
        } catch (RuntimeException e) {
            openedAudit.close();
            throw e;
        }
        this.store = openedStore;
        boolean started = false;
        Server openedGrpc = null;
        try {
            this.access = new AccessControl(store.callers(), random, clock, java.time.Duration.ofSeconds(5));
            this.createdAdminToken = ensureAdmin();
            this.keys = new KeyRegistry(store, masterKey, CryptoProviders.defaults(), random, clock, config.metadataTtl(),
                    config.pendingDeletionDelay(), config.keyUsage());
            this.operations = new KeyOperations(keys, random, config.maxPayloadBytes());
            this.audit = openedAudit;
            this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new JvmMemoryMetrics().bindTo(meters);
            ServiceMetrics metrics = new ServiceMetrics(meters);
            CryptoGrpcService service = new CryptoGrpcService(operations, audit, metrics, clock, config.maxBatchItems());
            this.grpcHealth = new HealthStatusManager();
            if (transport instanceof Network && !config.tlsEnabled() && !CryptoServiceConfig.isLoopback(config.grpcHost())) {
                LOG.warn("gRPC listens on {} without TLS (KEYLINE_CRYPTO_ALLOW_INSECURE=true): bearer tokens, plaintexts and data keys"
                        + " cross the network in the clear", config.grpcHost());
            }
            openedGrpc = startGrpc(transport, service, extraInterceptors);
            this.grpcServer = openedGrpc;
            this.http = withHttp ? startHttp() : null;
            this.maintenance = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("keyline-maintenance").daemon(true).factory());
            long every = config.maintenanceInterval().toMillis();
            maintenance.scheduleWithFixedDelay(this::runMaintenance, every, every, TimeUnit.MILLISECONDS);
            started = true;
        } finally {
            if (!started) {
                // Release what a failed start opened (port in use, bad TLS files, ...).
                if (openedGrpc != null) {
                    openedGrpc.shutdownNow();
                }
                if (openedAudit != null) {
                    openedAudit.close();
                }
                store.close();
            }
        }
    }

    /** Audits every store row refused for a bad row MAC: table and primary key, never other columns. */
    private static dev.keyline.crypto.service.store.RowMac.Listener refusedRowAuditor(AuditLog audit, InstantSource clock) {
        return (table, row) -> audit.record(new AuditEvent(clock.instant(), "keyline", "RowIntegrityCheck", table + ":" + row, "error",
                table.equals("callers") ? Reason.PERMISSION_DENIED.name() : Reason.KEY_STATE_INVALID.name(), "", "", 0));
    }

    /** Starts on the network with the HTTP endpoints. */
    public static CryptoServer start(CryptoServiceConfig config) {
        return new CryptoServer(config, new Network(), true, InstantSource.system(), CryptoProviders.defaults().secureRandom(), List.of());
    }

    /**
     * Starts on the network with the HTTP endpoints, a span per call when {@code tracing} is on.
     * The caller owns {@code tracing} and closes it after this server.
     */
    public static CryptoServer start(CryptoServiceConfig config, dev.keyline.kit.Tracing tracing) {
        return new CryptoServer(config, new Network(), true, InstantSource.system(), CryptoProviders.defaults().secureRandom(),
                tracing.enabled() ? List.of(dev.keyline.crypto.service.grpc.GrpcServices.tracing(tracing)) : List.of());
    }

    public static CryptoServer start(CryptoServiceConfig config, Transport transport, boolean withHttp, InstantSource clock) {
        return new CryptoServer(config, transport, withHttp, clock, CryptoProviders.defaults().secureRandom(), List.of());
    }

    /**
     * Starts with {@code interceptors} around the crypto service (outermost first), before
     * authentication: fault injection in tests, extra policies in embedders.
     */
    public static CryptoServer start(CryptoServiceConfig config, Transport transport, boolean withHttp, InstantSource clock,
            List<io.grpc.ServerInterceptor> interceptors) {
        return new CryptoServer(config, transport, withHttp, clock, CryptoProviders.defaults().secureRandom(), List.copyOf(interceptors));
    }

    /**
     * Creates the admin caller when the store has no caller yet. Under the store-wide lock, so that
     * of several replicas starting at once on an empty PostgreSQL exactly one creates it (and writes
     * its token); the others find it there, or find the lock taken, and leave it alone.
     */
    private Optional<String> ensureAdmin() {
        // Per schema: deployments sharing one PostgreSQL database in different schemas do not contend.
        return store.runExclusive("keyline-create-admin:" + config.storeSchema(), this::createAdminIfNoCaller).flatMap(token -> token);
    }

    private Optional<String> createAdminIfNoCaller() {
        Path file = config.path(ADMIN_TOKEN_FILE);
        if (!access.list().isEmpty()) {
            return Optional.empty();
        }
        AccessControl.IssuedToken admin = access.issue("admin", Grant.parseList("*:*"));
        try {
            Files.deleteIfExists(file);
            MasterKey.SecretFiles.writeNew(file, admin.token() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        LOG.info("created the admin caller; its token is in {}", file);
        return Optional.of(admin.token());
    }

    private Server startGrpc(Transport transport, CryptoGrpcService service, List<io.grpc.ServerInterceptor> extra) {
        List<io.grpc.ServerServiceDefinition> services = GrpcServices.definitions(service, access, grpcHealth, extra);
        try {
            Server server;
            if (transport instanceof InProcess ip) {
                InProcessServerBuilder b = InProcessServerBuilder.forName(ip.name());
                services.forEach(b::addService);
                server = b.build().start();
            } else {
                NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(config.grpcHost(), config.grpcPort()), credentials())
                        .maxInboundMessageSize(config.maxPayloadBytes() * 2 + 64 * 1024)
                        .permitKeepAliveTime(10, TimeUnit.SECONDS);
                services.forEach(b::addService);
                server = b.build().start();
            }
            grpcHealth.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
            grpcHealth.setStatus(dev.keyline.crypto.v1.CryptoServiceGrpc.SERVICE_NAME, io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
            return server;
        } catch (IOException e) {
            throw ConfigException.of(CryptoServiceConfig.SUBJECT, CryptoServiceConfig.GRPC_PORT + ": cannot listen on " + config.grpcHost() + ":" + config.grpcPort() + " (" + e.getMessage() + ")");
        }
    }

    private ServerCredentials credentials() throws IOException {
        if (!config.tlsEnabled()) {
            return io.grpc.InsecureServerCredentials.create();
        }
        TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(config.tlsCertChain().toFile(), config.tlsPrivateKey().toFile());
        if (config.tlsClientCa() != null) {
            b.trustManager(config.tlsClientCa().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return b.build();
    }

    private Javalin startHttp() {
        ObjectMapper json = new ObjectMapper();
        Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.useVirtualThreads = true;
        });
        app.get("/health", ctx -> {
            Health h = health();
            ctx.status(h.httpStatus()).contentType("application/json").result(json.writeValueAsString(h.toJson()));
        });
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(meters.scrape()));
        if (!CryptoServiceConfig.isLoopback(config.httpHost())) {
            // Kept possible (probes and scrapers run elsewhere); /health and /metrics name states and
            // counts only, but they are plaintext and unauthenticated.
            LOG.warn("/health and /metrics listen on {}, not a loopback address: plaintext and unauthenticated; restrict who can reach"
                    + " port {} (firewall, network policy)", config.httpHost(), config.httpPort());
        }
        try {
            app.start(config.httpHost(), config.httpPort());
        } catch (RuntimeException e) {
            throw ConfigException.of(CryptoServiceConfig.SUBJECT, CryptoServiceConfig.HTTP_PORT + ": cannot listen on " + config.httpHost() + ":" + config.httpPort() + " (" + e.getMessage() + ")");
        }
        return app;
    }

    /**
     * The service's health: key store reachable, audit log writable, master key loaded. Served on
     * the unauthenticated {@code /health}, so details name states only: no JDBC URL, file path or
     * master-key fingerprint (operators find those in the start-up log and the admin CLI).
     */
    public Health health() {
        Map<String, Health.Check> checks = new LinkedHashMap<>();
        String storeKind = config.storeUrl().startsWith("jdbc:postgresql:") ? "postgresql" : "sqlite";
        checks.put("key_store", store.ping() ? new Health.Check(Health.Status.UP, "reachable (" + storeKind + ")")
                : new Health.Check(Health.Status.DOWN, "the key store (" + storeKind + ") does not answer"));
        int backlog = audit.backlog();
        String reopened = audit.reopenings() == 0 ? ""
                : "; reopened " + audit.reopenings() + " time(s) after the file was renamed, replaced or truncated (last at "
                        + audit.lastReopened().map(Object::toString).orElse("?") + "), each new file's chain continuing the old one";
        checks.put("audit_log", !audit.healthy() ? new Health.Check(Health.Status.DOWN, "the audit writer failed; audited calls are refused")
                : backlog > audit.capacity() / 2
                        ? new Health.Check(Health.Status.DEGRADED, backlog + " audit lines waiting; calls will slow down when "
                                + audit.capacity() + " are" + reopened)
                        : new Health.Check(Health.Status.UP, "writing" + reopened));
        checks.put("master_key", new Health.Check(Health.Status.UP, "loaded"));
        return Health.of(checks);
    }

    private void runMaintenance() {
        try {
            store.runExclusive("keyline-maintenance", () -> {
                for (var id : keys.rotateDue()) {
                    LOG.info("rotated {} on schedule", id);
                    audit.record(new AuditEvent(clock.instant(), "system", "AutoRotate", id.toString(), "ok", "", "", "", 0));
                }
                for (var id : keys.destroyDue()) {
                    LOG.info("destroyed the material of {} on schedule", id);
                    audit.record(new AuditEvent(clock.instant(), "system", "Destroy", id.toString(), "ok", "", "", "", 0));
                }
                return Boolean.TRUE;
            });
        } catch (RuntimeException e) {
            LOG.error("scheduled key maintenance failed; will retry in {}: {}", config.maintenanceInterval(), e.toString());
        }
    }

    /** Runs scheduled rotation and destruction now (tests and the admin CLI). */
    public void maintainNow() {
        runMaintenance();
    }

    public int grpcPort() {
        return grpcServer.getPort();
    }

    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    public Path adminTokenFile() {
        return config.path(ADMIN_TOKEN_FILE);
    }

    /** The admin token when this start created it (first start), else empty. */
    public Optional<String> createdAdminToken() {
        return createdAdminToken;
    }

    public AccessControl access() {
        return access;
    }

    public KeyRegistry keys() {
        return keys;
    }

    public KeyOperations operations() {
        return operations;
    }

    public AuditLog audit() {
        return audit;
    }

    public CryptoServiceConfig config() {
        return config;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    public MasterKey masterKey() {
        return masterKey;
    }

    /** Stops accepting calls, lets in-flight calls finish (up to 10 s), then releases everything. */
    @Override
    public void close() {
        grpcHealth.enterTerminalState();
        grpcServer.shutdown();
        try {
            if (!grpcServer.awaitTermination(10, TimeUnit.SECONDS)) {
                grpcServer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            grpcServer.shutdownNow();
        }
        if (http != null) {
            http.stop();
        }
        maintenance.shutdownNow();
        audit.close();
        store.close();
    }
}
