package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.platform.Cli;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform as a user meets it, through its real HTTP and gRPC ports: a token, an authorization
 * for its subject, the signed decision verified offline with the published keys; every key
 * rotated (old token and decision still verify, new ones use the new versions); the crypto
 * service stopped (tokens and decisions keep coming, every health says DEGRADED) and started
 * again (UP, the circuit closes, tokens are signed by the crypto service again).
 */
class EndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String bearer;

    @Test
    void tokenAuthorizeVerify_acrossRotationAndACryptoOutage_keepsWorking() throws Exception {
        int grpc = freePort();
        Map<String, String> env = Map.ofEntries(
                Map.entry("KEYLINE_DATA_DIR", dir.toString()),
                Map.entry("KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(grpc)),
                Map.entry("KEYLINE_CRYPTO_HTTP_PORT", "0"),
                Map.entry("KEYLINE_TOKEN_HTTP_PORT", "0"),
                Map.entry("KEYLINE_IAM_HTTP_PORT", "0"),
                Map.entry("KEYLINE_IAM_MANAGEMENT_PORT", "0"),
                Map.entry("KEYLINE_TOKEN_JWKS_MAX_AGE", "PT1S"),
                Map.entry("KEYLINE_TOKEN_KEY_PUBLISH_DELAY", "PT1S"),
                Map.entry("KEYLINE_TOKEN_KEY_POLL_INTERVAL", "PT1S"),
                Map.entry("KEYLINE_TOKEN_CRYPTO_TIMEOUT", "PT1S"),
                Map.entry("KEYLINE_IAM_CRYPTO_TIMEOUT", "PT1S"));
        EmbeddedPlatform platform = EmbeddedPlatform.start(Settings.of(env));
        try {
            String tokenUrl = platform.token().baseUrl();
            String iamUrl = platform.iam().baseUrl();
            String secret = Files.readString(platform.prepared().demoClientSecret()).trim();
            // The IAM service's callers authenticate with an access token of the token service (scope iam:authorize).
            bearer = token(tokenUrl, secret).serialize();

            // 1. A token for alice (a login service's session), verified with the published JWKS by Nimbus.
            SignedJWT jwt = session(tokenUrl, secret, "alice");
            assertThat(jwt.getHeader().getKeyID()).isEqualTo("token/jwt-signing/1");
            assertThat(verifiesWithJwks(jwt, tokenUrl)).isTrue();
            String subject = jwt.getJWTClaimsSet().getSubject();
            assertThat(subject).isEqualTo("alice");

            // 2. An authorization for the token's subject...
            JsonNode decision = authorize(iamUrl, subject, "read", "roadmap");
            assertThat(decision.path("allowed").asBoolean()).isTrue();
            assertThat(decision.path("key_id").asText()).isEqualTo("iam/decision-signing/1");
            // 3. ...verified offline with the published decision keys.
            assertThat(verifiesOffline(decision, iamUrl)).isTrue();

            // 4. Rotate all four keys through the admin CLI over gRPC.
            Map<String, String> shell = Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(grpc));
            for (String key : new String[] {"token/jwt-signing", "token/cache-encryption", "iam/decision-signing", "iam/cache-encryption"}) {
                Cli.Result r = Cli.run(shell, "keys", "rotate", key);
                assertThat(r.exitCode()).as(r.toString()).isZero();
            }
            assertThat(verifiesWithJwks(jwt, tokenUrl)).as("the old token after rotation").isTrue();
            assertThat(verifiesOffline(decision, iamUrl)).as("the old decision after rotation").isTrue();
            assertThat(verifyOnline(iamUrl, decision).path("valid").asBoolean()).isTrue();
            SignedJWT rotated = eventually(() -> token(tokenUrl, secret), t -> t.getHeader().getKeyID().equals("token/jwt-signing/2"));
            assertThat(verifiesWithJwks(rotated, tokenUrl)).isTrue();
            JsonNode newDecision = eventually(() -> authorize(iamUrl, "alice", "read", "roadmap"),
                    d -> d.path("key_id").asText().equals("iam/decision-signing/2"));
            assertThat(verifiesOffline(newDecision, iamUrl)).isTrue();

            // 5. Stop the crypto service: tokens (fallback key, in the JWKS) and decisions (unsigned) keep coming; DEGRADED.
            platform.stopCrypto();
            SignedJWT during = eventually(() -> token(tokenUrl, secret), t -> t.getHeader().getKeyID().startsWith("keyline-fallback/"));
            assertThat(verifiesWithJwks(during, tokenUrl)).as("a fallback token verifies with the published JWKS").isTrue();
            JsonNode unsigned = authorize(iamUrl, "bob", "write", "roadmap");
            assertThat(unsigned.path("allowed").asBoolean()).isTrue();
            assertThat(unsigned.has("signature")).isFalse();
            assertThat(authorize(iamUrl, "dave", "read", "roadmap").path("allowed").asBoolean()).as("still correct when denying").isFalse();
            assertThat(eventually(() -> health(tokenUrl), h -> h.equals("DEGRADED"))).isEqualTo("DEGRADED");
            assertThat(eventually(() -> health(iamUrl), h -> h.equals("DEGRADED"))).isEqualTo("DEGRADED");

            // 6. Start it again: UP, the circuit closes, tokens are signed by the crypto service again.
            platform.startCrypto();
            assertThat(eventually(() -> health(tokenUrl), h -> h.equals("UP"))).isEqualTo("UP");
            assertThat(eventually(() -> health(iamUrl), h -> h.equals("UP"))).isEqualTo("UP");
            SignedJWT after = eventually(() -> token(tokenUrl, secret), t -> t.getHeader().getKeyID().startsWith("token/jwt-signing/"));
            assertThat(after.getHeader().getKeyID()).isEqualTo("token/jwt-signing/2");
            assertThat(verifiesWithJwks(after, tokenUrl)).isTrue();
            JsonNode signedAgain = eventually(() -> authorize(iamUrl, "alice", "read", "handbook"), d -> d.has("signature"));
            assertThat(verifiesOffline(signedAgain, iamUrl)).isTrue();
        } finally {
            platform.close();
        }
    }

    @Test
    void banner_demoCommands_getATokenThenASignedDecisionThatVerifies() throws Exception {
        Map<String, String> env = Map.of("KEYLINE_DATA_DIR", dir.resolve("data").toString(), "KEYLINE_CRYPTO_GRPC_PORT", "0",
                "KEYLINE_CRYPTO_HTTP_PORT", "0", "KEYLINE_TOKEN_HTTP_PORT", "0", "KEYLINE_IAM_HTTP_PORT", "0", "KEYLINE_IAM_MANAGEMENT_PORT", "0");
        EmbeddedPlatform platform = EmbeddedPlatform.start(Settings.of(env));
        try {
            java.io.StringWriter banner = new java.io.StringWriter();
            platform.printBanner(new java.io.PrintWriter(banner));
            List<String> commands = banner.toString().lines().map(String::strip).filter(l -> l.startsWith("TOKEN=") || l.startsWith("curl "))
                    .toList();
            assertThat(commands).hasSize(3);
            assertThat(banner.toString()).contains(platform.iam().managementUrl().orElseThrow() + "/metrics");
            // Signing keys are provisioned at start; the decision is signed once the crypto service answered.
            JsonNode verified = eventually(() -> runInShell(String.join("\n", commands) + "\ncat decision.json; echo; "), out -> out.contains("\"signature\""))
                    .lines().map(l -> {
                        try {
                            return JSON.readTree(l);
                        } catch (IOException e) {
                            return JSON.nullNode();
                        }
                    }).filter(n -> n.has("valid")).findFirst().orElseThrow();
            assertThat(verified.path("valid").asBoolean()).isTrue();
            String decision = Files.readString(dir.resolve("decision.json"));
            assertThat(JSON.readTree(decision).path("allowed").asBoolean()).isTrue();
            assertThat(JSON.readTree(decision).path("caller").asText()).isEqualTo("demo");
            // Without the token, the same decision request is refused.
            assertThat(runInShell(commands.get(1).replace("-H \"authorization: Bearer $TOKEN\" ", "") + "; cat decision.json"))
                    .contains("UNAUTHENTICATED");
        } finally {
            platform.close();
        }
    }

    /** Runs {@code script} with bash in the test directory; its standard output. */
    private String runInShell(String script) {
        try {
            Process p = new ProcessBuilder("bash", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private SignedJWT session(String baseUrl, String secret, String subject) {
        String basic = Base64.getEncoder().encodeToString(("demo:" + secret).getBytes(StandardCharsets.UTF_8));
        JsonNode body = send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/sessions"))
                .header("authorization", "Basic " + basic).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"" + subject + "\",\"scope\":\"documents:read\"}")), 201);
        assertThat(body.path("refresh_token").asText()).as("a session starts a refresh-token family").isNotEmpty();
        try {
            return SignedJWT.parse(body.path("access_token").asText());
        } catch (java.text.ParseException e) {
            throw new AssertionError("not a JWT: " + body, e);
        }
    }

    private SignedJWT token(String baseUrl, String secret) {
        String basic = Base64.getEncoder().encodeToString(("demo:" + secret).getBytes(StandardCharsets.UTF_8));
        JsonNode body = send(HttpRequest.newBuilder(URI.create(baseUrl + "/oauth2/token"))
                .header("authorization", "Basic " + basic).header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")), 200);
        try {
            return SignedJWT.parse(body.path("access_token").asText());
        } catch (java.text.ParseException e) {
            throw new AssertionError("not a JWT: " + body, e);
        }
    }

    private boolean verifiesWithJwks(SignedJWT jwt, String baseUrl) throws Exception {
        JWKSet set = JWKSet.parse(get(baseUrl + "/.well-known/jwks.json").toString());
        JWK jwk = set.getKeyByKeyId(jwt.getHeader().getKeyID());
        return jwk != null && jwt.verify(new ECDSAVerifier((ECKey) jwk));
    }

    private JsonNode authorize(String baseUrl, String user, String action, String document) {
        String body = "{\"subject\":{\"type\":\"User\",\"id\":\"" + user + "\"},\"action\":\"" + action
                + "\",\"resource\":{\"type\":\"Document\",\"id\":\"" + document + "\"}}";
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/authorize")).header("content-type", "application/json")
                .header("authorization", "Bearer " + bearer).POST(HttpRequest.BodyPublishers.ofString(body)), 200);
    }

    private JsonNode verifyOnline(String baseUrl, JsonNode decision) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/decisions/verify")).header("content-type", "application/json")
                .header("authorization", "Bearer " + bearer).POST(HttpRequest.BodyPublishers.ofString(decision.toString())), 200);
    }

    /**
     * Rebuilds the canonical payload (sorted, compact JSON of the thirteen fields of format version 2)
     * and checks the DER signature with the JWK.
     */
    private boolean verifiesOffline(JsonNode decision, String baseUrl) throws Exception {
        Map<String, Object> fields = new TreeMap<>();
        for (String f : new String[] {"caller", "format", "policy_version", "request_digest"}) {
            fields.put(f, decision.path(f).asText());
        }
        fields.put("iat", decision.path("iat").asLong());
        fields.put("exp", decision.path("exp").asLong());
        fields.put("action", decision.path("action").asText());
        fields.put("allowed", decision.path("allowed").asBoolean());
        fields.put("decision_id", decision.path("decision_id").asText());
        fields.put("policy_name", decision.path("policy_name").asText());
        fields.put("resource_id", decision.path("resource_id").asText());
        fields.put("subject_id", decision.path("subject_id").asText());
        fields.put("timestamp", decision.path("timestamp").asLong());
        byte[] payload = JSON.writeValueAsBytes(fields);
        JWKSet set = JWKSet.parse(get(baseUrl + "/v1/decisions/jwks").toString());
        JWK jwk = set.getKeyByKeyId(decision.path("key_id").asText());
        if (jwk == null) {
            return false;
        }
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initVerify(((ECKey) jwk).toECPublicKey());
        s.update(payload);
        return s.verify(Base64.getDecoder().decode(decision.path("signature").asText()));
    }

    private String health(String baseUrl) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/health")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body()).path("status").asText();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private JsonNode get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), 200);
    }

    private JsonNode send(HttpRequest.Builder request, int expected) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(expected);
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Repeats {@code action} until {@code done} holds, for at most {@link #LIMIT}; the last value otherwise fails. */
    private static <T> T eventually(Supplier<T> action, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = action.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("condition not reached within " + LIMIT + "; last value: " + last);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
