package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientsFile;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the four files of examples/scale-out/ as they are, on free loopback ports, with a fresh
 * PostgreSQL schema and fresh Redis prefixes: two crypto replicas on one PostgreSQL, the token
 * service and the IAM policy service on Redis.
 */
class ScaleOutExampleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void scaleOutExample_onLoopback_issuesTokensSignsDecisionsAndSharesRotations() throws Exception {
        Path examples = repositoryRoot().resolve("examples/scale-out");
        String run = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String schema = "kl_scaleout_" + run;
        String tokenPrefix = "keyline:test:" + run + ":token:";
        String iamPrefix = "keyline:test:" + run + ":iam:";
        byte[] mk = new byte[32];
        new SecureRandom().nextBytes(mk);
        Map<String, String> shared = Map.of("KEYLINE_MASTER_KEY", Base64.getEncoder().encodeToString(mk), "KEYLINE_STORE_SCHEMA", schema);

        List<Running> started = new ArrayList<>();
        try {
            Settings a = settings(examples.resolve("crypto-a.yaml"), shared, Map.of("KEYLINE_DATA_DIR", dir.resolve("a").toString(),
                    "KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(freePort()), "KEYLINE_CRYPTO_HTTP_PORT", "0"));
            Running cryptoA = new CryptoServiceCommand().start(a);
            started.add(cryptoA);
            a.requireAllFileSettingsUsed(examples.resolve("crypto-a.yaml"));
            Settings b = settings(examples.resolve("crypto-b.yaml"), shared, Map.of("KEYLINE_DATA_DIR", dir.resolve("b").toString(),
                    "KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(freePort()), "KEYLINE_CRYPTO_HTTP_PORT", "0"));
            started.add(new CryptoServiceCommand().start(b));
            b.requireAllFileSettingsUsed(examples.resolve("crypto-b.yaml"));
            String endpointA = "127.0.0.1:" + a.get("KEYLINE_CRYPTO_GRPC_PORT");
            String endpointB = "127.0.0.1:" + b.get("KEYLINE_CRYPTO_GRPC_PORT");
            Path adminToken = dir.resolve("a/admin.token");
            assertThat(adminToken).as("replica A created the admin caller in the shared store").exists();
            assertThat(dir.resolve("b/admin.token")).as("replica B found it there").doesNotExist();
            // The README's admin steps: the services' keys, then a least-privilege caller per service.
            Map<String, String> adminShell = Map.of("KEYLINE_DATA_DIR", dir.resolve("a").toString(),
                    "KEYLINE_CRYPTO_GRPC_PORT", a.get("KEYLINE_CRYPTO_GRPC_PORT"), "KEYLINE_TOKEN", Files.readString(adminToken).trim(),
                    "KEYLINE_MASTER_KEY", shared.get("KEYLINE_MASTER_KEY"), "KEYLINE_STORE_URL", "jdbc:postgresql://127.0.0.1:5432/test",
                    "KEYLINE_STORE_USER", "postgres", "KEYLINE_STORE_SCHEMA", schema);
            for (ServiceCaller service : ServiceCaller.values()) {
                for (String command : service.keyCommands()) {
                    List<String> args = List.of(command.substring("keyline ".length()).split(" "));
                    assertThat(dev.keyline.platform.Cli.run(adminShell, args.toArray(String[]::new)).exitCode()).as(command).isZero();
                }
            }
            Path tokenCrypto = callerToken(adminShell, "token-service", "token-service", dir.resolve("token-crypto.token"));
            Path iamCrypto = callerToken(adminShell, "iam-policy", "iam-policy-service", dir.resolve("iam-crypto.token"));

            Path clients = dir.resolve("clients.json");
            Client.NewClient app = Client.create("my-app", Set.of(Client.CLIENT_CREDENTIALS, Client.REFRESH_TOKEN, Client.SESSIONS_ISSUE),
                    List.of("read", "iam:authorize"), List.of("api", "keyline-iam"), Duration.ofMinutes(15), Duration.ofDays(1), new SecureRandom());
            ClientsFile.write(clients, List.of(app.client()));
            int tokenPort = freePort();
            Settings t = settings(examples.resolve("token.yaml"), shared, Map.of("KEYLINE_DATA_DIR", dir.resolve("token").toString(),
                    "KEYLINE_TOKEN_HTTP_PORT", String.valueOf(tokenPort), "KEYLINE_TOKEN_REDIS_PREFIX", tokenPrefix,
                    "KEYLINE_TOKEN_CRYPTO_ENDPOINT", endpointA, "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE", tokenCrypto.toString(),
                    "KEYLINE_TOKEN_CLIENTS_FILE", clients.toString(), "KEYLINE_TOKEN_KEY_PUBLISH_DELAY", "PT1S",
                    "KEYLINE_TOKEN_KEY_POLL_INTERVAL", "PT1S"));
            started.add(new TokenServiceCommand().start(t));
            t.requireAllFileSettingsUsed(examples.resolve("token.yaml"));
            int iamPort = freePort();
            String tokenUrl = "http://127.0.0.1:" + tokenPort;
            Settings i = settings(examples.resolve("iam.yaml"), shared, Map.ofEntries(Map.entry("KEYLINE_DATA_DIR", dir.resolve("iam").toString()),
                    Map.entry("KEYLINE_IAM_HTTP_PORT", String.valueOf(iamPort)), Map.entry("KEYLINE_IAM_MANAGEMENT_PORT", "0"),
                    Map.entry("KEYLINE_IAM_REDIS_KEY_PREFIX", iamPrefix),
                    Map.entry("KEYLINE_IAM_CRYPTO_ENDPOINT", endpointA + "," + endpointB),
                    Map.entry("KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE", iamCrypto.toString()),
                    Map.entry("KEYLINE_IAM_AUTH_JWKS_URL", tokenUrl + "/.well-known/jwks.json"), Map.entry("KEYLINE_IAM_AUTH_ISSUER", tokenUrl),
                    Map.entry("KEYLINE_IAM_POLICY_DIR", examples.resolve("policies").toString())));
            started.add(new IamPolicyServiceCommand().start(i));
            i.requireAllFileSettingsUsed(examples.resolve("iam.yaml"));

            String iamUrl = "http://127.0.0.1:" + iamPort;
            String basic = Base64.getEncoder().encodeToString(("my-app:" + app.secret()).getBytes(StandardCharsets.UTF_8));
            JsonNode session = post(tokenUrl + "/v1/sessions", "application/json", "{\"subject\":\"alice\"}", basic, 201);
            assertThat(session.path("refresh_token").asText()).isNotEmpty();
            assertThat(redisKeys(tokenPrefix)).as("the family is in Redis under the token prefix").isPositive();

            String bearer = post(tokenUrl + "/oauth2/token", "application/x-www-form-urlencoded", "grant_type=client_credentials&scope=iam:authorize",
                    basic, 200).path("access_token").asText();
            post(iamUrl + "/v1/authorize", "application/json",
                    "{\"subject\":{\"type\":\"User\",\"id\":\"alice\"},\"action\":\"read\",\"resource\":{\"type\":\"Document\",\"id\":\"roadmap\"}}",
                    null, 401);
            JsonNode decision = postBearer(iamUrl + "/v1/authorize",
                    "{\"subject\":{\"type\":\"User\",\"id\":\"alice\"},\"action\":\"read\",\"resource\":{\"type\":\"Document\",\"id\":\"roadmap\"}}",
                    bearer);
            assertThat(decision.path("allowed").asBoolean()).isTrue();
            assertThat(decision.path("signature").asText()).isNotEmpty();
            assertThat(postBearer(iamUrl + "/v1/decisions/verify", decision.toString(), bearer).path("valid").asBoolean()).isTrue();
            // A second, identical request is served from the encrypted L2 in Redis or from L1; either way the L2 holds entries.
            postBearer(iamUrl + "/v1/authorize",
                    "{\"subject\":{\"type\":\"User\",\"id\":\"alice\"},\"action\":\"read\",\"resource\":{\"type\":\"Document\",\"id\":\"roadmap\"}}",
                    bearer);
            assertThat(redisKeys(iamPrefix)).as("decisions cached in Redis under the IAM prefix").isPositive();

            // A rotation on replica B reaches the token service, which talks to replica A.
            Map<String, String> shell = Map.of("KEYLINE_DATA_DIR", dir.resolve("b").toString(),
                    "KEYLINE_CRYPTO_GRPC_PORT", b.get("KEYLINE_CRYPTO_GRPC_PORT"), "KEYLINE_TOKEN", Files.readString(adminToken).trim());
            assertThat(dev.keyline.platform.Cli.run(shell, "keys", "rotate", "token/jwt-signing").exitCode()).isZero();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String kid = "";
            while (System.nanoTime() < deadline && !kid.equals("token/jwt-signing/2")) {
                JsonNode tok = post(tokenUrl + "/oauth2/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", basic, 200);
                String header = tok.path("access_token").asText().split("\\.")[0];
                kid = JSON.readTree(Base64.getUrlDecoder().decode(header)).path("kid").asText();
                Thread.sleep(250);
            }
            assertThat(kid).isEqualTo(KeyId.of("token", "jwt-signing", 2).toString());
        } finally {
            for (int k = started.size() - 1; k >= 0; k--) {
                started.get(k).close();
            }
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
                    Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
            deleteRedisKeys(tokenPrefix);
            deleteRedisKeys(iamPrefix);
        }
    }

    /** {@code keyline callers create NAME --for SERVICE} as the admin, its token written to {@code file}. */
    private static Path callerToken(Map<String, String> adminShell, String name, String service, Path file) throws IOException {
        dev.keyline.platform.Cli.Result r = dev.keyline.platform.Cli.run(adminShell, "callers", "create", name, "--for", service);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        Files.writeString(file, r.outLine() + "\n");
        return file;
    }

    /** The example file's settings, then {@code shared} and {@code overrides} as environment variables would (they win). */
    private static Settings settings(Path file, Map<String, String> shared, Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(shared);
        env.putAll(overrides);
        return Settings.of(env, file);
    }

    private JsonNode post(String url, String type, String body, String basic, int expected) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).header("content-type", type).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (basic != null) {
            r.header("authorization", "Basic " + basic);
        }
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(expected);
        return JSON.readTree(resp.body());
    }

    private JsonNode postBearer(String url, String body, String bearer) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json").header("authorization", "Bearer " + bearer)
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        return JSON.readTree(resp.body());
    }

    private static long redisKeys(String prefix) {
        RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return c.sync().keys(prefix + "*").size();
        } finally {
            client.shutdown();
        }
    }

    private static void deleteRedisKeys(String prefix) {
        RedisClient client = RedisClient.create("redis://127.0.0.1:6379");
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            List<String> keys = c.sync().keys(prefix + "*");
            if (!keys.isEmpty()) {
                c.sync().del(keys.toArray(String[]::new));
            }
        } finally {
            client.shutdown();
        }
    }

    private static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) {
            p = p.getParent();
        }
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
