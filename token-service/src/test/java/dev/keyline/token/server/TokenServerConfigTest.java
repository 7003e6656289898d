package dev.keyline.token.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.kit.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configuration validation: every problem listed at once, each naming its field or variable. */
class TokenServerConfigTest {
    private static final CryptoClientConfig CRYPTO = CryptoClientConfig.builder().endpoint("127.0.0.1:50051").authToken("t").build();

    @Test
    void validate_defaultsWithCrypto_hasNoProblems() {
        assertThat(TokenServerConfig.builder().crypto(CRYPTO).build().validate()).isEmpty();
    }

    @Test
    void validate_manyMistakes_listsEveryOne() {
        TokenServerConfig c = TokenServerConfig.builder().httpPort(70000).issuer("ftp://x/").maxRequestBytes(10)
                .signer(TokenServerConfig.SignerKind.LOCAL).signingKeyId("not a key").storage(TokenServerConfig.StorageKind.REDIS)
                .redisUrl("localhost:6379").accessTokenLifetime(Duration.ZERO).keyPollInterval(Duration.ofMillis(1))
                .fallbackKeyFile(Path.of("/nonexistent/key.pem")).build();
        List<String> p = c.validate();
        assertThat(String.join("\n", p)).contains("httpPort:", "issuer:", "maxRequestBytes:", "crypto:", "signingKeyId:", "localKeyFile:",
                "redisUrl:", "accessTokenLifetime:", "keyPollInterval:", "fallbackKeyFile:");
        assertThat(p).hasSizeGreaterThanOrEqualTo(10);
        assertThatThrownBy(() -> TokenServer.start(c)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.subject()).isEqualTo("token service");
            assertThat(e.problems()).isEqualTo(p);
        });
    }

    /** A Redis writer must not be able to read the refresh-token key or forge records: Redis only with encryption. */
    @Test
    void validate_redisStorageWithoutCacheEncryption_isRefused() {
        TokenServerConfig.Builder redis = TokenServerConfig.builder().crypto(CRYPTO).storage(TokenServerConfig.StorageKind.REDIS)
                .redisUrl("redis://127.0.0.1:6379");

        assertThat(redis.cacheEncryption(true).build().validate()).isEmpty();
        assertThat(redis.cacheEncryption(false).build().validate()).singleElement().asString().startsWith("cacheEncryption: must be on when storage is REDIS");
        assertThat(TokenServerConfig.builder().crypto(CRYPTO).cacheEncryption(false).build().validate()).as("in memory it may be off").isEmpty();
    }

    /** All 2^3 combinations, enumerated: sampling a domain of 8 would skip repeats and run at most 8 anyway. */
    @Test
    void validate_cryptoConnection_requiredExactlyWhenCryptoSigningOrCacheEncryption() {
        // Three booleans: all 8 combinations, enumerated (random sampling would repeat them).
        int combinations = 0;
        for (boolean cryptoSigner : new boolean[] {false, true}) {
            for (boolean encryption : new boolean[] {false, true}) {
                for (boolean hasCrypto : new boolean[] {false, true}) {
                    TokenServerConfig.Builder b = TokenServerConfig.builder().cacheEncryption(encryption)
                            .signer(cryptoSigner ? TokenServerConfig.SignerKind.CRYPTO : TokenServerConfig.SignerKind.LOCAL)
                            .localKeyFile(Path.of("pom.xml"));
                    if (hasCrypto) {
                        b.crypto(CRYPTO);
                    }
                    boolean problem = b.build().validate().stream().anyMatch(s -> s.startsWith("crypto:"));
                    assertThat(problem).as("signer crypto %s, encryption %s, crypto configured %s", cryptoSigner, encryption, hasCrypto)
                            .isEqualTo((cryptoSigner || encryption) && !hasCrypto);
                    combinations++;
                }
            }
        }
        assertThat(combinations).isEqualTo(8);
    }

    @Test
    void fromEnvironment_readsVariables() {
        TokenServerConfig c = TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_HTTP_PORT", "9090", "KEYLINE_TOKEN_SIGNER", "crypto",
                "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc", "KEYLINE_TOKEN_CRYPTO_ENDPOINT", "127.0.0.1:6000", "KEYLINE_TOKEN_JWKS_MAX_AGE", "PT1M",
                "KEYLINE_TOKEN_STORAGE", "redis", "KEYLINE_TOKEN_SIGNING_ALGORITHM", "PS256"));
        assertThat(c.httpPort()).isEqualTo(9090);
        assertThat(c.crypto().orElseThrow().endpoints()).containsExactly("127.0.0.1:6000");
        assertThat(c.effectivePublishDelay()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.storage()).isEqualTo(TokenServerConfig.StorageKind.REDIS);
        assertThat(c.signingAlgorithm().jwsAlgorithm()).hasValue("PS256");
        assertThat(c.validate()).isEmpty();
    }

    @Test
    void fromEnvironment_signBatching_configuresTheCryptoClientAndBadValuesNameTheVariable() {
        Map<String, String> env = Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc", "KEYLINE_TOKEN_SIGN_BATCH_LINGER", "PT0.0005S",
                "KEYLINE_TOKEN_SIGN_BATCH_MAX_ITEMS", "32");
        var crypto = TokenServerConfig.fromEnvironment(env).crypto().orElseThrow();
        assertThat(crypto.signBatchLinger()).isEqualTo(Duration.ofNanos(500_000));
        assertThat(crypto.signBatchMaxItems()).isEqualTo(32);
        assertThat(TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc")).crypto().orElseThrow()
                .signBatchLinger()).as("on by default, 1 ms").isEqualTo(Duration.ofMillis(1));
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc",
                "KEYLINE_TOKEN_SIGN_BATCH_LINGER", "PT5S", "KEYLINE_TOKEN_SIGN_BATCH_MAX_ITEMS", "0")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_SIGN_BATCH_LINGER: must be between 0 (off) and PT0.1S"))
                        .anySatisfy(x -> assertThat(x).startsWith("KEYLINE_TOKEN_SIGN_BATCH_MAX_ITEMS: must be between 1 and 1000"))
                        .hasSize(2));
    }

    @Test
    void fromEnvironment_unparseableValues_listsEachVariable() {
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_HTTP_PORT", "eighty", "KEYLINE_TOKEN_SIGNER", "kms",
                "KEYLINE_TOKEN_JWKS_MAX_AGE", "5 minutes", "KEYLINE_TOKEN_CREATE_KEYS", "maybe", "KEYLINE_TOKEN_SIGNING_ALGORITHM", "HS512",
                "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc")))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.subject()).isEqualTo("token service");
                    assertThat(e.problems()).map(x -> x.substring(0, x.indexOf(':'))).containsExactlyInAnyOrder("KEYLINE_TOKEN_HTTP_PORT",
                            "KEYLINE_TOKEN_SIGNER", "KEYLINE_TOKEN_JWKS_MAX_AGE", "KEYLINE_TOKEN_CREATE_KEYS", "KEYLINE_TOKEN_SIGNING_ALGORITHM");
                    assertThat(e.getMessage()).doesNotContain("abc");
                });
    }

    @Test
    void fromEnvironment_managementPort_defaultsToLoopback9080AndIsReadFromItsVariables() {
        TokenServerConfig d = TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc"));
        assertThat(d.managementHost()).isEqualTo("127.0.0.1");
        assertThat(d.managementPort()).isEqualTo(9080);
        TokenServerConfig c = TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc",
                "KEYLINE_TOKEN_MANAGEMENT_HOST", "::1", "KEYLINE_TOKEN_MANAGEMENT_PORT", "9999"));
        assertThat(c.managementHost()).isEqualTo("::1");
        assertThat(c.managementPort()).isEqualTo(9999);
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc",
                "KEYLINE_TOKEN_MANAGEMENT_PORT", "metrics"))).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).containsExactly("KEYLINE_TOKEN_MANAGEMENT_PORT: 'metrics' is not an integer"));
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc",
                "KEYLINE_TOKEN_MANAGEMENT_PORT", "70000"))).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).singleElement().asString().startsWith("KEYLINE_TOKEN_MANAGEMENT_PORT: must be between 0 and 65535"));
        assertThat(TokenServerConfig.builder().crypto(CRYPTO).httpPort(8080).managementPort(8080).build().validate())
                .anySatisfy(x -> assertThat(x).startsWith("managementPort:"));
        assertThat(TokenServerConfig.builder().crypto(CRYPTO).managementPort(-1).managementHost(" ").build().validate())
                .anySatisfy(x -> assertThat(x).startsWith("managementPort:")).anySatisfy(x -> assertThat(x).startsWith("managementHost:"));
    }

    @Test
    void fromEnvironment_cryptoTokenIsTheAdminToken_refusedUnlessExplicitlyAllowed(@org.junit.jupiter.api.io.TempDir Path data)
            throws Exception {
        String admin = "kla_admin-token-for-this-test-0123456789";
        java.nio.file.Files.writeString(data.resolve("admin.token"), admin + "\n");
        Path own = data.resolve("token-service.token");
        java.nio.file.Files.writeString(own, "klc_token-service-own-token");
        Path copy = data.resolve("copy-of-admin.token");
        java.nio.file.Files.writeString(copy, admin);
        Map<String, String> base = Map.of("KEYLINE_DATA_DIR", data.toString());

        // 1. Nothing set: the default fallback is admin.token.
        assertAdminRefused(base);
        // 2. The admin token given as the token, or through another file.
        assertAdminRefused(with(base, "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", admin));
        assertAdminRefused(with(base, "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE", copy.toString()));
        assertAdminRefused(with(base, "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE", data.resolve("admin.token").toString()));
        // 3. Explicitly allowed: it starts with it.
        assertThat(TokenServerConfig.fromEnvironment(with(base, "KEYLINE_TOKEN_ALLOW_ADMIN_TOKEN", "true")).crypto()).isPresent();
        // 4. A token of its own is fine.
        assertThat(TokenServerConfig.fromEnvironment(with(base, "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE", own.toString())).crypto()).isPresent();
        assertThat(TokenServerConfig.fromEnvironment(with(base, "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "klc_other")).crypto()).isPresent();
        // 5. Not needed at all without a crypto feature.
        assertThat(TokenServerConfig.fromEnvironment(with(with(base, "KEYLINE_TOKEN_SIGNER", "local"), "KEYLINE_TOKEN_CACHE_ENCRYPTION", "false"))
                .crypto()).isEmpty();
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(with(base, "KEYLINE_TOKEN_ALLOW_ADMIN_TOKEN", "perhaps")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .contains("KEYLINE_TOKEN_ALLOW_ADMIN_TOKEN: 'perhaps' is not true or false"));
    }

    private static Map<String, String> with(Map<String, String> env, String k, String v) {
        Map<String, String> m = new java.util.HashMap<>(env);
        m.put(k, v);
        return m;
    }

    private static void assertAdminRefused(Map<String, String> env) {
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(env)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.problems()).singleElement().asString().startsWith("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN: ").contains("admin token")
                    .contains("KEYLINE_TOKEN_ALLOW_ADMIN_TOKEN=true");
            assertThat(e.getMessage()).contains("(1 problem)").doesNotContain("kla_admin-token").doesNotContain("\n");
        });
    }

    @Test
    void fromEnvironment_cryptoTls_isWiredIntoTheCryptoClientAndValidatedPerVariable(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path ca = java.nio.file.Files.writeString(dir.resolve("ca.pem"), "x");
        Path cert = java.nio.file.Files.writeString(dir.resolve("client.pem"), "x");
        Path key = java.nio.file.Files.writeString(dir.resolve("client.key"), "x");
        Map<String, String> base = Map.of("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc");
        CryptoClientConfig plain = TokenServerConfig.fromEnvironment(base).crypto().orElseThrow();
        assertThat(plain.tlsEnabled()).as("plaintext unless configured").isFalse();

        CryptoClientConfig mtls = TokenServerConfig.fromEnvironment(with(with(with(with(base, "KEYLINE_TOKEN_CRYPTO_TLS_CA", ca.toString()),
                "KEYLINE_TOKEN_CRYPTO_TLS_CERT", cert.toString()), "KEYLINE_TOKEN_CRYPTO_TLS_KEY", key.toString()),
                "KEYLINE_TOKEN_CRYPTO_TLS_SERVER_NAME", "crypto.internal")).crypto().orElseThrow();
        assertThat(mtls.tlsEnabled()).as("a CA turns TLS on").isTrue();
        assertThat(mtls.tlsTrustCertificates()).hasValue(ca);
        assertThat(mtls.tlsClientCertificate()).hasValue(cert);
        assertThat(mtls.tlsClientKey()).hasValue(key);
        assertThat(mtls.tlsServerName()).hasValue("crypto.internal");
        assertThat(TokenServerConfig.fromEnvironment(with(base, "KEYLINE_TOKEN_CRYPTO_TLS", "true")).crypto().orElseThrow().tlsEnabled())
                .as("system trust store").isTrue();

        assertProblem(with(base, "KEYLINE_TOKEN_CRYPTO_TLS_CERT", cert.toString()),
                "KEYLINE_TOKEN_CRYPTO_TLS_CERT: the certificate chain and the private key go together");
        assertProblem(with(base, "KEYLINE_TOKEN_CRYPTO_TLS_CA", dir.resolve("absent.pem").toString()), "KEYLINE_TOKEN_CRYPTO_TLS_CA:");
        assertProblem(with(with(base, "KEYLINE_TOKEN_CRYPTO_TLS", "false"), "KEYLINE_TOKEN_CRYPTO_TLS_CA", ca.toString()),
                "KEYLINE_TOKEN_CRYPTO_TLS: TLS files or server name are set");
        assertProblem(with(base, "KEYLINE_TOKEN_CRYPTO_TLS", "sometimes"), "KEYLINE_TOKEN_CRYPTO_TLS: 'sometimes' is not true or false");
    }

    /** fromEnvironment refuses {@code env} with a ConfigException of which one problem starts with {@code problem}. */
    private static void assertProblem(Map<String, String> env, String problem) {
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(env)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).anySatisfy(x -> assertThat(x).startsWith(problem)));
    }
}
