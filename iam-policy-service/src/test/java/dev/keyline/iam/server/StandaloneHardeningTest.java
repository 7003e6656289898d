package dev.keyline.iam.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.iam.testing.IamFixture;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.PolicyDirs;
import dev.keyline.iam.testing.Tokens;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IAM service on its own: it refuses the crypto service's admin
 * token unless told, it reaches a TLS / mutual-TLS crypto service with the settings the scale-out
 * advice names, and its management port is configurable.
 */
class StandaloneHardeningTest {
    @TempDir
    Path tmp;

    private Map<String, String> env(String... pairs) {
        Map<String, String> m = new HashMap<>();
        m.put("KEYLINE_DATA_DIR", tmp.toString());
        m.put("KEYLINE_IAM_POLICY_DIR", PolicyDirs.demo(tmp).toString());
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void standaloneProblems_cryptoTokenIsTheAdminToken_refusesUnlessAllowed() throws IOException {
        Files.writeString(tmp.resolve("admin.token"), "kl_admin-token-value\n");
        Path elsewhere = Files.createDirectories(tmp.resolve("crypto-a")).resolve("admin.token");
        Files.writeString(elsewhere, "kl_other-admin-token\n");
        Path narrow = tmp.resolve("iam-policy.token");
        Files.writeString(narrow, "kl_narrow-token\n");

        IamServerConfig byDefault = IamServerConfig.fromEnvironment(env());
        IamServerConfig sameValue = IamServerConfig.fromEnvironment(env("KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_admin-token-value"));
        IamServerConfig namedAdmin = IamServerConfig.fromEnvironment(env("KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE", elsewhere.toString()));
        IamServerConfig allowed = IamServerConfig.fromEnvironment(env("KEYLINE_IAM_ALLOW_ADMIN_TOKEN", "true"));
        IamServerConfig leastPrivilege = IamServerConfig.fromEnvironment(env("KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE", narrow.toString()));

        assertThat(byDefault.standaloneProblems()).singleElement().satisfies(p -> {
            assertThat(p).startsWith("KEYLINE_IAM_CRYPTO_AUTH_TOKEN: is the crypto service's admin token").contains("KEYLINE_IAM_ALLOW_ADMIN_TOKEN=true")
                    .doesNotContain("\n").doesNotContain("kl_admin-token-value");
        });
        assertThat(sameValue.standaloneProblems()).hasSize(1);
        assertThat(namedAdmin.standaloneProblems()).hasSize(1);
        assertThat(allowed.standaloneProblems()).isEmpty();
        assertThat(leastPrivilege.standaloneProblems()).isEmpty();
        assertThat(byDefault.validate()).as("embedded use is not refused").isEmpty();
    }

    @Test
    void startStandalone_cryptoTokenIsTheAdminToken_failsWithAConfigExceptionNamingTheToken() throws IOException {
        Files.writeString(tmp.resolve("admin.token"), "kl_admin-token-value\n");

        assertThatThrownBy(() -> IamServer.startStandalone(env("KEYLINE_IAM_HTTP_PORT", "0", "KEYLINE_IAM_MANAGEMENT_PORT", "-1")))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.subject()).isEqualTo("IAM policy service");
                    assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p)
                            .startsWith("KEYLINE_IAM_CRYPTO_AUTH_TOKEN: is the crypto service's admin token"));
                    assertThat(e.getMessage()).doesNotContain("kl_admin-token-value");
                });
    }

    @Test
    void fromEnvironment_managementAndAuthSettings_areRead() {
        IamServerConfig c = IamServerConfig.fromEnvironment(env("KEYLINE_IAM_MANAGEMENT_HOST", "127.0.0.2", "KEYLINE_IAM_MANAGEMENT_PORT", "9999",
                "KEYLINE_IAM_AUTH_JWKS_URL", "https://tokens.example/.well-known/jwks.json", "KEYLINE_IAM_AUTH_ISSUER", "https://tokens.example",
                "KEYLINE_IAM_AUTH_AUDIENCE", "iam-prod", "KEYLINE_IAM_AUTH_JWKS_CACHE_TTL", "PT1M", "KEYLINE_IAM_DECISION_TTL", "PT30S",
                "KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_x"));
        IamServerConfig defaults = IamServerConfig.fromEnvironment(env("KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_x"));

        assertThat(c.managementHost()).isEqualTo("127.0.0.2");
        assertThat(c.managementPort()).isEqualTo(9999);
        assertThat(c.authJwksUrl()).isEqualTo("https://tokens.example/.well-known/jwks.json");
        assertThat(c.authIssuer()).isEqualTo("https://tokens.example");
        assertThat(c.authAudience()).isEqualTo("iam-prod");
        assertThat(c.authJwksCacheTtl()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.decisionTtl()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.managementHost()).isEqualTo("127.0.0.1");
        assertThat(defaults.managementPort()).isEqualTo(9181);
        assertThat(defaults.authAudience()).isEqualTo("keyline-iam");
        assertThatThrownBy(() -> IamServerConfig.fromEnvironment(env("KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_x", "KEYLINE_IAM_AUTH_JWKS_URL", "ftp://x",
                "KEYLINE_IAM_MANAGEMENT_PORT", "-7"))).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("authJwksUrl:")).anySatisfy(p -> assertThat(p).startsWith("managementPort:")));
    }

    @Test
    void cryptoTls_againstAMutualTlsCryptoService_signsDecisions_andWithoutAClientCertificateDegrades() {
        TestPki pki = TestPki.create(tmp, "ca", "keyline-iam-test-ca");
        pki.issue("server", "IP:127.0.0.1,DNS:crypto.keyline.test");
        pki.issue("client", "");
        try (CryptoServiceFixture crypto = CryptoServiceFixture.builder(tmp.resolve("crypto")).withoutHttp()
                .settings(b -> b.tls(tmp.resolve("server.pem"), tmp.resolve("server.key"), tmp.resolve("ca.pem"))).start();
                Tokens tokens = new Tokens()) {
            String token = IamFixture.iamToken(crypto);
            Map<String, String> base = env("KEYLINE_IAM_HTTP_PORT", "0", "KEYLINE_IAM_MANAGEMENT_PORT", "0", "KEYLINE_IAM_POLICY_WATCH", "false",
                    "KEYLINE_IAM_CRYPTO_ENDPOINT", "127.0.0.1:" + crypto.grpcPort(), "KEYLINE_IAM_CRYPTO_AUTH_TOKEN", token,
                    "KEYLINE_IAM_CRYPTO_TIMEOUT", "PT2S", "KEYLINE_IAM_AUTH_JWKS_URL", tokens.jwksUrl(), "KEYLINE_IAM_AUTH_ISSUER", Tokens.ISSUER,
                    "KEYLINE_IAM_CRYPTO_TLS_CA", tmp.resolve("ca.pem").toString());
            Map<String, String> mtls = new HashMap<>(base);
            mtls.put("KEYLINE_IAM_CRYPTO_TLS_CERT", tmp.resolve("client.pem").toString());
            mtls.put("KEYLINE_IAM_CRYPTO_TLS_KEY", tmp.resolve("client.key").toString());
            String bearer = tokens.mint("app", "iam:authorize");
            String body = Http.authorizeBody("User", "alice", "read", "Document", "roadmap");

            try (IamServer iam = IamServer.start(IamServerConfig.fromEnvironment(mtls))) {
                Http http = new Http(iam.baseUrl(), bearer);
                IamFixture.awaitSigningKey(http);
                Http.Response r = http.post("/v1/authorize", body);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().get("allowed").asBoolean()).isTrue();
                assertThat(r.body().has("signature")).as("signed through the mutual-TLS connection").isTrue();
                assertThat(http.post("/v1/decisions/verify", r.body()).body().get("valid").asBoolean()).isTrue();
                assertThat(iam.config().cryptoClientConfig().tlsEnabled()).isTrue();
            }
            try (IamServer iam = IamServer.start(IamServerConfig.fromEnvironment(base))) {
                Http http = new Http(iam.baseUrl(), bearer);
                Http.Response r = http.post("/v1/authorize", body);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.body().has("signature")).as("no client certificate: the service refuses the handshake").isFalse();
                assertThat(http.get("/health").body().get("status").asText()).isEqualTo("DEGRADED");
            }
        }
    }

    @Test
    void validate_tlsFilesWithTlsOff_isAProblem() {
        assertThatThrownBy(() -> IamServerConfig.fromEnvironment(env("KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_x", "KEYLINE_IAM_CRYPTO_TLS", "false",
                "KEYLINE_IAM_CRYPTO_TLS_CA", "/nowhere/ca.pem"))).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("cryptoTls:")));
        assertThatThrownBy(() -> IamServerConfig.fromEnvironment(env("KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_x", "KEYLINE_IAM_CRYPTO_TLS_CA",
                "/nowhere/ca.pem"))).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).startsWith("crypto.tlsTrustCertificates")));
    }
}
