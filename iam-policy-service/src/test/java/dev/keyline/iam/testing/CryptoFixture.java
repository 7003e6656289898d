package dev.keyline.iam.testing;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;

/**
 * A real crypto service on a loopback port (no HTTP), with a caller {@code iam} that has exactly
 * the grants the IAM service needs on the {@code iam} namespace.
 */
public final class CryptoFixture implements AutoCloseable {
    private final CryptoServer server;
    private final String iamToken;
    private volatile boolean stopped;

    private CryptoFixture(CryptoServer server, String iamToken) {
        this.server = server;
        this.iamToken = iamToken;
    }

    public static CryptoFixture start(Path dir) {
        CryptoServiceConfig config = CryptoServiceConfig.defaults(dir).grpcHost("127.0.0.1").grpcPort(0).httpPort(0).build();
        CryptoServer server = CryptoServer.start(config, new CryptoServer.Network(), false, InstantSource.system());
        String token = server.access().issue("iam", Grant.parseList("iam:sign,verify,read,encrypt,decrypt,data-key,manage")).token();
        return new CryptoFixture(server, token);
    }

    public String endpoint() {
        return "127.0.0.1:" + server.grpcPort();
    }

    public String iamToken() {
        return iamToken;
    }

    public CryptoServer server() {
        return server;
    }

    /** A client for the {@code iam} caller with fast retries, for tests that call the service directly. */
    public CryptoClient client() {
        return CryptoClientFactory.builder(CryptoClientConfig.builder().clientName("iam-test").endpoint(endpoint()).authToken(iamToken)
                .timeout(Duration.ofSeconds(5)).encryptionKeyId("iam/decision-cache").signingKeyId("iam/decision-signing")
                .callerHasFallback(true).envelopeContext("keyline-iam-decision-cache").build()).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** Stops the service (graceful: in-flight calls finish). */
    public void stop() {
        if (!stopped) {
            stopped = true;
            server.close();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
