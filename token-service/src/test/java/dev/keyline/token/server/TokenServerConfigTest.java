package dev.keyline.token.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;

import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.core.CryptoException;
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
        assertThatThrownBy(() -> TokenServer.start(c)).isInstanceOfSatisfying(CryptoException.class,
                e -> assertThat(e.getMessage()).contains("httpPort:", "redisUrl:"));
    }

    @Test
    void validate_cryptoConnection_requiredExactlyWhenCryptoSigningOrCacheEncryption() {
        qt().withExamples(100).forAll(booleans().all(), booleans().all(), booleans().all()).checkAssert((cryptoSigner, encryption, hasCrypto) -> {
            TokenServerConfig.Builder b = TokenServerConfig.builder().cacheEncryption(encryption)
                    .signer(cryptoSigner ? TokenServerConfig.SignerKind.CRYPTO : TokenServerConfig.SignerKind.LOCAL)
                    .localKeyFile(Path.of("pom.xml"));
            if (hasCrypto) {
                b.crypto(CRYPTO);
            }
            boolean problem = b.build().validate().stream().anyMatch(s -> s.startsWith("crypto:"));
            assertThat(problem).isEqualTo((cryptoSigner || encryption) && !hasCrypto);
        });
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
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("KEYLINE_TOKEN_SIGN_BATCH_LINGER: must be between 0 (off) and PT0.1S")
                .hasMessageContaining("KEYLINE_TOKEN_SIGN_BATCH_MAX_ITEMS: must be between 1 and 1000");
    }

    @Test
    void fromEnvironment_unparseableValues_listsEachVariable() {
        assertThatThrownBy(() -> TokenServerConfig.fromEnvironment(Map.of("KEYLINE_TOKEN_HTTP_PORT", "eighty", "KEYLINE_TOKEN_SIGNER", "kms",
                "KEYLINE_TOKEN_JWKS_MAX_AGE", "5 minutes", "KEYLINE_TOKEN_CREATE_KEYS", "maybe", "KEYLINE_TOKEN_SIGNING_ALGORITHM", "HS512",
                "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "abc")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("KEYLINE_TOKEN_HTTP_PORT").hasMessageContaining("KEYLINE_TOKEN_SIGNER")
                .hasMessageContaining("KEYLINE_TOKEN_JWKS_MAX_AGE").hasMessageContaining("KEYLINE_TOKEN_CREATE_KEYS")
                .hasMessageContaining("KEYLINE_TOKEN_SIGNING_ALGORITHM").hasMessageNotContaining("abc");
    }
}
