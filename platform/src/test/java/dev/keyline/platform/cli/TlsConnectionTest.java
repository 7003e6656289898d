package dev.keyline.platform.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.platform.Cli;
import dev.keyline.platform.Cli.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin commands over mutual TLS, with a CA, server and client certificate made by openssl. */
class TlsConnectionTest {
    @TempDir
    static Path dir;

    static CryptoServer server;
    static Map<String, String> env;

    @BeforeAll
    static void start() throws Exception {
        assertThat(run("openssl", "version")).as("openssl is needed (CI machines have it)").isTrue();
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=keyline-cli-test-ca", "-keyout", "ca.key", "-out", "ca.pem");
        for (String name : List.of("server", "client")) {
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                    "-keyout", name + ".raw.key", "-out", name + ".csr");
            openssl("pkcs8", "-topk8", "-nocrypt", "-in", name + ".raw.key", "-out", name + ".key");
        }
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-extfile", "san.ext", "-out", "server.pem");
        openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                "-out", "client.pem");
        Path data = dir.resolve("data");
        server = CryptoServer.start(CryptoServiceConfig.defaults(data).grpcPort(0).httpPort(0)
                .tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem")).build());
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

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl %s: %s", cmd, output).isZero();
    }

    private static boolean run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
