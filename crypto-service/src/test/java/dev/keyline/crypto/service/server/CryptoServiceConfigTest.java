package dev.keyline.crypto.service.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.keyline.crypto.core.CryptoException;
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
        CryptoException e = catchThrowableOfType(CryptoException.class,
                () -> env(Map.of("KEYLINE_CRYPTO_GRPC_HOST", host)).build());

        assertThat(e).as("binding %s without TLS", host).isNotNull();
        assertThat(e.reason()).isEqualTo(CryptoException.Reason.INVALID_CONFIG);
        assertThat(e.getMessage()).contains("KEYLINE_CRYPTO_GRPC_HOST is " + host, "not a loopback address", "KEYLINE_CRYPTO_TLS_CERT",
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
        CryptoException e = catchThrowableOfType(CryptoException.class,
                () -> env(Map.of("KEYLINE_CRYPTO_ALLOW_INSECURE", "yes please")).build());

        assertThat(e.getMessage()).contains("KEYLINE_CRYPTO_ALLOW_INSECURE must be true or false, got 'yes please'");
    }
}
