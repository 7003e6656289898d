package dev.keyline.crypto.service.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.keyline.kit.config.ConfigException;
import dev.keyline.testing.TestPki;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Transport safety of the crypto service's settings: plaintext gRPC only on loopback unless asked for. */
class CryptoServiceConfigTest {
    @TempDir
    Path dir;

    private CryptoServiceConfig.Builder env(Map<String, String> env) {
        return CryptoServiceConfig.defaults(dir).apply(env::get);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::", "[::]", "192.0.2.10", "10.1.2.3", "2001:db8::1"})
    void build_nonLoopbackHostWithoutTls_isRefusedWithOneConfigError(String host) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> env(Map.of("KEYLINE_CRYPTO_GRPC_HOST", host)).build());

        assertThat(e).as("binding %s without TLS", host).isNotNull();
        assertThat(e.subject()).isEqualTo("crypto service");
        assertThat(e.problems()).singleElement().asString().startsWith("KEYLINE_CRYPTO_GRPC_HOST: is " + host);
        assertThat(e.getMessage()).contains("KEYLINE_CRYPTO_GRPC_HOST: is " + host, "not a loopback address", "KEYLINE_CRYPTO_TLS_CERT",
                "KEYLINE_CRYPTO_ALLOW_INSECURE=true").doesNotContain("\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"})
    void build_loopbackHostWithoutTls_isAccepted(String host) {
        CryptoServiceConfig c = env(Map.of("KEYLINE_CRYPTO_GRPC_HOST", host)).build();

        assertThat(c.grpcHost()).isEqualTo(host);
        assertThat(c.allowInsecure()).isFalse();
        assertThat(c.tlsEnabled()).isFalse();
    }

    @Test
    void build_nonLoopbackHostWithAllowInsecure_isAccepted() {
        CryptoServiceConfig c = env(Map.of("KEYLINE_CRYPTO_GRPC_HOST", "0.0.0.0", "KEYLINE_CRYPTO_ALLOW_INSECURE", "true")).build();

        assertThat(c.allowInsecure()).isTrue();
        assertThat(CryptoServiceConfig.defaults(dir).grpcHost("192.0.2.10").allowInsecure(true).build().grpcHost()).isEqualTo("192.0.2.10");
    }

    @Test
    void build_nonLoopbackHostWithTls_isAccepted() {
        TestPki pki = TestPki.create(dir, "ca", "keyline-test-ca");
        pki.issue("server", "IP:127.0.0.1,DNS:localhost");

        CryptoServiceConfig c = env(Map.of("KEYLINE_CRYPTO_GRPC_HOST", "0.0.0.0", "KEYLINE_CRYPTO_TLS_CERT", dir.resolve("server.pem").toString(),
                "KEYLINE_CRYPTO_TLS_KEY", dir.resolve("server.key").toString())).build();

        assertThat(c.tlsEnabled()).isTrue();
        assertThat(c.allowInsecure()).isFalse();
    }

    @Test
    void build_allowInsecureNotABoolean_isRefused() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> env(Map.of("KEYLINE_CRYPTO_ALLOW_INSECURE", "yes please")).build());

        assertThat(e.problems()).containsExactly("KEYLINE_CRYPTO_ALLOW_INSECURE: 'yes please' is not true or false");
    }

    @Test
    void build_everyBadValue_isListedOnceNamingItsVariable_andSettersAreCheckedLikeTheEnvironment() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> env(Map.of("KEYLINE_CRYPTO_GRPC_PORT", "fifty",
                "KEYLINE_CRYPTO_MAX_PAYLOAD_BYTES", "0", "KEYLINE_CRYPTO_MAINTENANCE_INTERVAL", "PT0S",
                "KEYLINE_CRYPTO_ENCRYPTION_ROTATE_AFTER", "100", "KEYLINE_CRYPTO_ENCRYPTION_LIMIT", "10",
                "KEYLINE_STORE_URL", "jdbc:mysql://x", "KEYLINE_CRYPTO_TLS_KEY", dir.resolve("missing.key").toString()))
                .httpPort(70000).build());

        assertThat(e.problems()).containsExactlyInAnyOrder("KEYLINE_CRYPTO_GRPC_PORT: 'fifty' is not an integer",
                "KEYLINE_CRYPTO_HTTP_PORT: must be between 0 and 65535, got 70000",
                "KEYLINE_CRYPTO_MAX_PAYLOAD_BYTES: must be between 1 and 67108864, got 0",
                "KEYLINE_CRYPTO_MAINTENANCE_INTERVAL: must be positive",
                "KEYLINE_CRYPTO_ENCRYPTION_ROTATE_AFTER: must not be above KEYLINE_CRYPTO_ENCRYPTION_LIMIT",
                "KEYLINE_STORE_URL: must start with jdbc:sqlite: or jdbc:postgresql:",
                "KEYLINE_CRYPTO_TLS_CERT and KEYLINE_CRYPTO_TLS_KEY: must be set together",
                "KEYLINE_CRYPTO_TLS_KEY: names a file that cannot be read: " + dir.resolve("missing.key"));
    }

    @Test
    void fromEnvironment_blankValues_areUnsetAndKeepWhatWasSetBefore() {
        CryptoServiceConfig c = CryptoServiceConfig.fromEnvironment(Map.of("KEYLINE_DATA_DIR", " ", "KEYLINE_CRYPTO_GRPC_PORT", "")).build();
        assertThat(c.dataDir()).isEqualTo(Path.of("keyline-data"));
        assertThat(c.grpcPort()).isEqualTo(CryptoServiceConfig.DEFAULT_GRPC_PORT);

        CryptoServiceConfig set = CryptoServiceConfig.defaults(dir).grpcPort(4242).apply(Map.of("KEYLINE_CRYPTO_GRPC_PORT", "  ")::get).build();
        assertThat(set.grpcPort()).as("a blank variable does not undo a setter").isEqualTo(4242);
    }
}
