package dev.keyline.platform.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.platform.Cli;
import dev.keyline.platform.Cli.Result;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    @TempDir
    Path dir;

    @Test
    void up_withInvalidSettings_listsEveryProblemAndExitsTwo() {
        Result r = Cli.run(Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_CRYPTO_GRPC_PORT", "fifty", "KEYLINE_CRYPTO_HTTP_PORT", "99999"),
                "up");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: invalid crypto service configuration:")
                .contains("  - KEYLINE_CRYPTO_GRPC_PORT: 'fifty' is not an integer")
                .contains("  - KEYLINE_CRYPTO_HTTP_PORT: must be between 0 and 65535, got 99999")
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    /** Each service's configuration errors, alone or under {@code up}: the problem named, exit 2, no stack trace. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "crypto-service, KEYLINE_CRYPTO_GRPC_PORT, fifty",
        "token-service, KEYLINE_TOKEN_HTTP_PORT, fifty",
        "iam-policy-service, KEYLINE_IAM_HTTP_PORT, fifty",
        "up, KEYLINE_IAM_HTTP_PORT, fifty",
        "up, KEYLINE_IAM_CACHE_L1_TTL, forever",
        "up, KEYLINE_TOKEN_ACCESS_TOKEN_LIFETIME, forever"})
    void service_withOneInvalidValue_namesItAndExitsTwoWithoutAStackTrace(String command, String variable, String value) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_CRYPTO_GRPC_PORT", "0",
                "KEYLINE_CRYPTO_HTTP_PORT", "0", "KEYLINE_TOKEN_HTTP_PORT", "0", "KEYLINE_IAM_HTTP_PORT", "0"));
        env.put(variable, value);
        Result r = Cli.run(env, command);

        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: invalid ").contains(variable + ": '" + value + "' is not")
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).as("nothing started, so no banner").isEmpty();
    }

    @Test
    void up_withAMalformedMasterKey_failsWithoutShowingIt() {
        Result r = Cli.run(Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_MASTER_KEY", "s3cret!!", "KEYLINE_CRYPTO_GRPC_PORT", "0",
                "KEYLINE_CRYPTO_HTTP_PORT", "0"), "up");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: invalid master key configuration: KEYLINE_MASTER_KEY: is not valid base64")
                .doesNotContain("s3cret");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void up_withConfigFileHoldingATypo_failsNamingTheSettingAndStartsNothing() throws IOException {
        java.nio.file.Path yaml = java.nio.file.Files.createTempFile("keyline", ".yaml");
        java.nio.file.Files.writeString(yaml, "data_dir: " + dir + "\ncrypto:\n  grpc_port: 0\n  http_port: 0\n  grpc_prot: 5\n"
                + "token:\n  http_port: 0\niam:\n  http_port: 0\n");
        Result r = Cli.run(Map.of(), "up", "--config", yaml.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: invalid settings file configuration: crypto_grpc_prot (KEYLINE_CRYPTO_GRPC_PROT): in "
                + yaml + " but no service reads it");
        // The services read their settings while they start, so a typo is found then and everything is stopped again.
        assertThat(r.out()).as("no banner: nothing was left running").isEmpty();
    }

    @Test
    void up_withConfigFileHoldingAnInvalidValue_failsNamingTheVariable() throws IOException {
        java.nio.file.Path yaml = java.nio.file.Files.createTempFile("keyline", ".yaml");
        java.nio.file.Files.writeString(yaml, "data_dir: " + dir + "\ncrypto:\n  grpc_port: lots\n");
        Result r = Cli.run(Map.of(), "up", "--config", yaml.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("KEYLINE_CRYPTO_GRPC_PORT: 'lots' is not an integer");
    }

    @Test
    void iamPolicyService_withTheAdminToken_refusesToStartWithOneLine() throws IOException {
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("admin.token"), "kl_admin-secret-value\n");
        Map<String, String> env = Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_IAM_HTTP_PORT", "0", "KEYLINE_IAM_MANAGEMENT_PORT", "0",
                "KEYLINE_IAM_POLICY_DIR", dir.resolve("policies").toString());
        dev.keyline.iam.policy.DemoPolicies.installIfAbsent(dir.resolve("policies"));

        Result refused = Cli.run(env, "iam-policy-service");

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).startsWith("error: invalid IAM policy service configuration: KEYLINE_IAM_CRYPTO_AUTH_TOKEN: is the crypto"
                + " service's admin token")
                .contains("KEYLINE_IAM_ALLOW_ADMIN_TOKEN=true").doesNotContain("kl_admin-secret-value");
        assertThat(refused.err().strip().lines()).hasSize(1);
        assertThat(refused.out()).as("no banner: nothing started").isEmpty();
    }

    @Test
    void cryptoService_onAPortInUse_failsWithOneLine() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Result r = Cli.run(Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(taken.getLocalPort()),
                    "KEYLINE_CRYPTO_HTTP_PORT", "0"), "crypto-service");

            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err()).startsWith("error: invalid crypto service configuration: KEYLINE_CRYPTO_GRPC_PORT: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort());
            assertThat(r.err().strip().lines()).hasSize(1);
        }
    }

    @Test
    void cryptoService_onAWildcardAddressWithoutTls_refusesToStartWithOneLine() {
        // Refused while the settings are read: nothing binds to the wildcard address.
        Result r = Cli.run(Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_CRYPTO_GRPC_HOST", "0.0.0.0", "KEYLINE_CRYPTO_GRPC_PORT", "0",
                "KEYLINE_CRYPTO_HTTP_PORT", "0"), "crypto-service");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("KEYLINE_CRYPTO_GRPC_HOST: is 0.0.0.0, not a loopback address, and TLS is off",
                "KEYLINE_CRYPTO_ALLOW_INSECURE=true").doesNotContain("Exception");
        assertThat(r.err().strip().lines().filter(l -> l.contains("loopback"))).hasSize(1);
        assertThat(r.out()).isEmpty();
    }

    /**
     * The real thing in a child JVM: banner, /health, a command from another process, then
     * SIGTERM (what Process.destroy sends; SIGINT takes the same shutdown hook) and a clean stop.
     */
    @Test
    void up_inAChildJvm_servesUntilSignalledThenStopsCleanly() throws Exception {
        int grpcPort = freePort();
        int httpPort = freePort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.keyline.platform.Keyline", "up");
        pb.environment().put("KEYLINE_DATA_DIR", dir.toString());
        pb.environment().put("KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(grpcPort));
        pb.environment().put("KEYLINE_CRYPTO_HTTP_PORT", String.valueOf(httpPort));
        int tokenPort = freePort();
        int iamPort = freePort();
        pb.environment().put("KEYLINE_TOKEN_HTTP_PORT", String.valueOf(tokenPort));
        pb.environment().put("KEYLINE_IAM_HTTP_PORT", String.valueOf(iamPort));
        int iamManagementPort = freePort();
        pb.environment().put("KEYLINE_IAM_MANAGEMENT_PORT", String.valueOf(iamManagementPort));
        pb.environment().remove("KEYLINE_TOKEN");
        pb.redirectError(dir.resolve("stderr.log").toFile());
        Process child = pb.start();
        try {
            BufferedReader stdout = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            List<String> banner = CompletableFuture.supplyAsync(() -> readBanner(stdout)).get(60, TimeUnit.SECONDS);

            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, String> shell = Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(grpcPort));
            Result created = Cli.run(shell, "keys", "create", "demo/hello", "--algorithm", "AES_256_GCM");
            Result encrypted = Cli.run(shell, "encrypt", "demo/hello", "--plaintext", "hi");

            assertThat(String.join("\n", banner))
                    .contains("gRPC         127.0.0.1:" + grpcPort)
                    .contains("http://127.0.0.1:" + httpPort + "/health")
                    .contains("http://127.0.0.1:" + httpPort + "/metrics")
                    .contains("data dir     " + dir.toAbsolutePath())
                    .contains("admin token  " + dir.toAbsolutePath().resolve("admin.token") + "  (created now")
                    .contains("AES_256_GCM").contains("ECDSA_P256_SHA256")
                    .contains("http://127.0.0.1:" + tokenPort + "/oauth2/token")
                    .contains("http://127.0.0.1:" + iamPort + "/v1/authorize")
                    .contains("http://127.0.0.1:" + iamManagementPort + "/metrics")
                    .contains("TOKEN=$(curl").contains("authorization: Bearer $TOKEN")
                    .contains("demo-client.secret")
                    .contains("/v1/decisions/verify");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"UP\"");
            assertThat(created.exitCode()).as(created.toString()).isZero();
            assertThat(encrypted.exitCode()).as(encrypted.toString()).isZero();
            assertThat(encrypted.outLine()).startsWith("key_id=demo/hello/1 ");
        } finally {
            child.destroy();
        }
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

        String stderr = Files.readString(dir.resolve("stderr.log"));
        assertThat(child.exitValue()).as(stderr).isEqualTo(143);
        assertThat(stderr).contains("\"formattedMessage\":\"stopped\"").doesNotContain("Exception");
        // Every line of stderr is a JSON log line (the JDK's own warning blocks aside).
        assertThat(stderr.lines().filter(l -> !l.startsWith("WARNING:") && !l.isBlank())).allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}"));
        // The stop drained the audit writer: the log is complete and its chain intact.
        Result audit = Cli.run(Map.of("KEYLINE_DATA_DIR", dir.toString()), "audit", "verify");
        assertThat(audit.exitCode()).as(audit.toString()).isZero();
        assertThat(audit.outLine()).contains("lines checked, the hash chain is intact");
    }

    private static List<String> readBanner(BufferedReader stdout) {
        List<String> lines = new ArrayList<>();
        try {
            for (String line = stdout.readLine(); line != null; line = stdout.readLine()) {
                lines.add(line);
                if (line.equals("Stop with Ctrl-C.")) {
                    return lines;
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("the service ended before printing its banner: " + lines);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
