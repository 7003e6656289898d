package dev.keyline.crypto.client;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.testsupport.CryptoServiceFixture;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/**
 * The client side of the shared {@link CryptoServiceFixture}: a real crypto service, in-process,
 * behind a {@link FaultInjector}; one per test class. Clients reach it over an in-process channel;
 * keys are created and changed through the service's own registry, not through the client, so
 * that those calls neither count as RPCs nor fill the client's caches. (The shared fixture cannot
 * build clients itself: it would depend on this module, whose tests depend on it.)
 */
final class ClientFixture implements AutoCloseable {
    final FaultInjector faults = new FaultInjector();
    final CryptoServiceFixture service;
    final CryptoServer server;
    final String adminToken;
    final String name;

    private ClientFixture(Path dir) {
        this.service = CryptoServiceFixture.builder(dir).inProcess().interceptors(List.of(faults)).start();
        this.server = service.server();
        this.adminToken = service.adminToken();
        this.name = service.inProcessName().orElseThrow();
    }

    static ClientFixture start(Path dir) {
        return new ClientFixture(dir);
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
        return service.newKey(namespace, algorithm);
    }

    int rotate(KeyId id) {
        return service.rotate(id);
    }

    void setState(KeyId id, KeyState state) {
        service.setState(id, state);
    }

    /** A token that may only do {@code grants} (e.g. "ns:encrypt,decrypt"). */
    String token(String grants) {
        return service.newCallerToken(grants);
    }

    @Override
    public void close() {
        service.close();
    }
}
