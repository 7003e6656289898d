package dev.keyline.token;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real crypto service on loopback (SQLite in a temporary directory) and a caller token with the
 * token service's grants. {@link #stop()} and {@link #restart()} simulate an outage: the restart
 * uses the same data directory and port, so keys and tokens survive.
 */
public final class CryptoFixture implements AutoCloseable {
    public static final String GRANTS = "token:sign,verify,read,encrypt,decrypt,data-key,manage";

    private final Path dataDir;
    private final java.util.List<io.grpc.ServerInterceptor> interceptors;
    private CryptoServer server;
    private final int port;
    public final String token;

    private CryptoFixture(Path dataDir, java.util.List<io.grpc.ServerInterceptor> interceptors) {
        this.dataDir = dataDir;
        this.interceptors = java.util.List.copyOf(interceptors);
        this.server = startServer(0);
        this.port = server.grpcPort();
        this.token = server.access().issue("token-service", Grant.parseList(GRANTS)).token();
    }

    public static CryptoFixture start(Path dataDir) {
        return new CryptoFixture(dataDir, java.util.List.of());
    }

    /** With {@code interceptors} around the service (outermost first): to hold or observe RPCs in a test. */
    public static CryptoFixture start(Path dataDir, java.util.List<io.grpc.ServerInterceptor> interceptors) {
        return new CryptoFixture(dataDir, interceptors);
    }

    private CryptoServer startServer(int grpcPort) {
        return CryptoServer.start(config(grpcPort), new CryptoServer.Network(), true, java.time.InstantSource.system(), interceptors);
    }

    private CryptoServiceConfig config(int grpcPort) {
        return CryptoServiceConfig.defaults(dataDir).grpcHost("127.0.0.1").grpcPort(grpcPort).httpHost("127.0.0.1").httpPort(0).build();
    }

    public String endpoint() {
        return "127.0.0.1:" + port;
    }

    public CryptoServer server() {
        return server;
    }

    /**
     * A client configuration for this service: fast retries and a breaker that opens after a few
     * failures and half-opens after {@code openWait}.
     */
    public CryptoClientConfig.Builder clientConfig(Duration openWait) {
        return CryptoClientConfig.builder()
                .clientName("token-service-test")
                .endpoint(endpoint())
                .authToken(token)
                .timeout(Duration.ofSeconds(2))
                .retry(2, Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.5)
                .circuitBreaker(50f, 4, 4, openWait, 1);
    }

    public CryptoClient client(CryptoClientConfig config) {
        return CryptoClientFactory.builder(config).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** Stops the service (port closed). */
    public void stop() {
        server.close();
        server = null;
    }

    /** Starts it again on the same data directory and port. */
    public void restart() {
        server = startServer(port);
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
