package dev.keyline.platform;

import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real crypto service on loopback ports chosen by the OS, with its data in {@code dir}. */
public final class TestService implements AutoCloseable {
    private final Path dir;
    private final CryptoServer server;

    private TestService(Path dir, CryptoServer server) {
        this.dir = dir;
        this.server = server;
    }

    public static TestService start(Path dir) {
        return new TestService(dir, CryptoServer.start(CryptoServiceConfig.defaults(dir).grpcPort(0).httpPort(0).build()));
    }

    /** What a shell next to the service would have: its data dir and gRPC port. */
    public Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("KEYLINE_DATA_DIR", dir.toString());
        env.put("KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(server.grpcPort()));
        return env;
    }

    /** {@link #env()} plus {@code KEYLINE_TOKEN}. */
    public Map<String, String> envWithToken(String token) {
        Map<String, String> env = env();
        env.put("KEYLINE_TOKEN", token);
        return env;
    }

    public String address() {
        return "127.0.0.1:" + server.grpcPort();
    }

    public String adminToken() {
        try {
            return Files.readString(dir.resolve(CryptoServer.ADMIN_TOKEN_FILE), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dataDir() {
        return dir;
    }

    public CryptoServer server() {
        return server;
    }

    /** Waits until every audit event so far is on disk. */
    public void flushAudit() {
        if (!server.audit().flush(5, TimeUnit.SECONDS)) {
            throw new IllegalStateException("audit log did not flush");
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
