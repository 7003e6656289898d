package dev.keyline.crypto.client;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real crypto service, in-process (SQLite in a temporary directory), behind a
 * {@link FaultInjector}; one per test class. Clients reach it over an in-process channel;
 * keys are created and changed through the service's own registry, not through the client, so
 * that those calls neither count as RPCs nor fill the client's caches.
 */
final class ServiceFixture implements AutoCloseable {
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    final CryptoServer server;
    final FaultInjector faults = new FaultInjector();
    final String adminToken;
    final String name;

    private ServiceFixture(Path dir) {
        this.name = "crypto-client-test-" + UUID.randomUUID();
        this.server = CryptoServer.start(CryptoServiceConfig.defaults(dir).build(), new CryptoServer.InProcess(name), false,
                InstantSource.system(), List.of(faults));
        this.adminToken = server.createdAdminToken().orElseThrow();
    }

    static ServiceFixture start(Path dir) {
        return new ServiceFixture(dir);
    }

    /**
     * A valid configuration for this service: admin token, fast retries (2 attempts, 1 ms
     * backoff), a breaker that does not open in ordinary tests. The endpoint is a placeholder:
     * {@link #client} passes an in-process channel instead.
     */
    CryptoClientConfig.Builder config() {
        return CryptoClientConfig.builder()
                .endpoint("localhost:50051")
                .authToken(adminToken)
                .timeout(Duration.ofSeconds(5))
                .retry(2, Duration.ofMillis(1), Duration.ofMillis(2), 2.0, 0.5)
                .circuitBreaker(100f, 100, 100, Duration.ofSeconds(30), 1);
    }

    CryptoClient client(CryptoClientConfig config) {
        return client(config, InstantSource.system(), new SimpleMeterRegistry());
    }

    CryptoClient client(CryptoClientConfig config, InstantSource clock, MeterRegistry registry) {
        return CryptoClientFactory.builder(config).channel(InProcessChannelBuilder.forName(name).directExecutor().build())
                .clock(clock).meterRegistry(registry).build();
    }

    /** A new key with a unique id in {@code namespace}. */
    KeyId newKey(String namespace, KeyAlgorithm algorithm) {
        KeyId id = KeyId.of(namespace, algorithm.name().toLowerCase().replace('_', '-') + "-" + UNIQUE.incrementAndGet());
        server.keys().create(id, algorithm, Duration.ZERO);
        return id;
    }

    int rotate(KeyId id) {
        return server.keys().rotate(id.unversioned()).primaryVersion();
    }

    void setState(KeyId id, KeyState state) {
        server.keys().setState(id, state);
    }

    /** A token that may only do {@code grants} (e.g. "ns:encrypt,decrypt"). */
    String token(String grants) {
        return server.access().issue("caller-" + UNIQUE.incrementAndGet(), Grant.parseList(grants)).token();
    }

    @Override
    public void close() {
        server.close();
    }
}
