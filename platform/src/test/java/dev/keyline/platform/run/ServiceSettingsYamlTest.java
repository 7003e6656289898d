package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.iam.policy.DemoPolicies;
import dev.keyline.iam.server.IamServerConfig;
import dev.keyline.token.server.TokenServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token and IAM services' crypto-client resilience settings, the IAM key cache TTL and the token
 * admin token are YAML settings too ({@code keyline up --config}): each reaches the service's
 * configuration, and none is reported as an unknown setting.
 */
class ServiceSettingsYamlTest {
    @TempDir
    Path dir;

    @Test
    void yaml_resilienceKeyCacheTtlAndAdminToken_reachTheServicesAndAreAllRead() throws Exception {
        Path policies = dir.resolve("policies");
        DemoPolicies.installIfAbsent(policies);
        Path f = dir.resolve("keyline.yaml");
        Files.writeString(f, """
                token:
                  admin_token: token-admin-secret-0123456789
                  crypto:
                    rate_limit: 70
                    rate_limit_period: PT2S
                    circuit_open_wait: PT9S
                    retry_max_attempts: 2
                iam:
                  key_cache_ttl: PT2M
                  crypto:
                    rate_limit: 90
                    circuit_window: 30
                """);
        Settings s = Settings.of(Map.of("KEYLINE_DATA_DIR", dir.toString(), "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN", "kl_token-caller",
                "KEYLINE_IAM_CRYPTO_AUTH_TOKEN", "kl_iam-caller", "KEYLINE_IAM_POLICY_DIR", policies.toString()), f);

        TokenServerConfig token = TokenServerConfig.fromEnvironment(s);
        IamServerConfig iam = IamServerConfig.fromEnvironment(s);
        s.requireAllFileSettingsUsed(f);

        CryptoClientConfig tc = token.crypto().orElseThrow();
        assertThat(tc.rateLimitPerPeriod()).isEqualTo(70);
        assertThat(tc.rateLimitPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(tc.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(9));
        assertThat(tc.maxAttempts()).isEqualTo(2);
        assertThat(token.adminToken().size()).isEqualTo("token-admin-secret-0123456789".length());
        CryptoClientConfig ic = iam.cryptoClientConfig();
        assertThat(ic.keyMetadataTtl()).isEqualTo(Duration.ofMinutes(2));
        assertThat(ic.rateLimitPerPeriod()).isEqualTo(90);
        assertThat(ic.slidingWindowSize()).isEqualTo(30);
    }
}
