package dev.keyline.platform.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.platform.Cli;
import dev.keyline.platform.Cli.Result;
import dev.keyline.testing.TestPki;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin commands over mutual TLS, with a CA, server and client certificate made by openssl. */
class TlsConnectionTest {
    @TempDir
    static Path dir;

    static CryptoServiceFixture server;
    static Map<String, String> env;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.create(dir, "ca", "keyline-cli-test-ca");
        pki.issue("server", "IP:127.0.0.1");
        pki.issue("client", "");
        Path data = dir.resolve("data");
        server = CryptoServiceFixture.builder(data)
                .settings(b -> b.tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"))).start();
        env = Map.of("KEYLINE_DATA_DIR", data.toString(), "KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(server.grpcPort()));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void keysList_withCaAndClientCertificate_works() {
        Result r = Cli.run(env, "keys", "list", "--tls-ca", file("ca.pem"), "--tls-cert", file("client.pem"), "--tls-key", file("client.key"));

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLine()).isEqualTo("no keys");
    }

    @Test
    void keysList_overPlaintext_saysTheServiceIsUnreachableAndMentionsTls() {
        Result r = Cli.run(env, "keys", "list");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: CRYPTO_SERVICE_UNAVAILABLE: ").contains("--tls-ca");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void keysList_withoutAClientCertificate_isRefused() {
        Result r = Cli.run(env, "keys", "list", "--tls-ca", file("ca.pem"));

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: CRYPTO_SERVICE_UNAVAILABLE: ").contains("pass --tls-cert and --tls-key");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void tlsCert_withoutTlsCa_isAUsageError() {
        Result r = Cli.run(env, "keys", "list", "--tls-cert", file("client.pem"), "--tls-key", file("client.key"));

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: --tls-cert and --tls-key need --tls-ca\n");
    }

    private static String file(String name) {
        return dir.resolve(name).toString();
    }
}
