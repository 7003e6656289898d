package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.keyline.kit.config.ConfigReader;
import org.junit.jupiter.api.Test;

/** The services' crypto-client resilience settings: parsing, defaults, problem names, documentation. */
class ResilienceSettingsTest {
    @Test
    void read_values_reachTheClientAndUnsetOnesKeepTheServiceDefaults() {
        ConfigReader r = ConfigReader.of(Map.of("P_RATE_LIMIT", "7", "P_CIRCUIT_OPEN_WAIT", "PT9S", "P_RETRY_MAX_ATTEMPTS", "2",
                "P_CIRCUIT_FAILURE_RATE", "12.5"));
        ResilienceSettings s = ResilienceSettings.read("P_", r::integer, r::decimal, r::duration);
        assertThat(r.problems()).isEmpty();
        assertThat(s.circuitFailureRate()).isEqualTo(12.5f);
        CryptoClientConfig c = s.applyTo(CryptoClientConfig.builder().endpoint("127.0.0.1:1").authToken("t")).build();
        assertThat(c.rateLimitPerPeriod()).isEqualTo(7);
        assertThat(c.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(9));
        assertThat(c.maxAttempts()).isEqualTo(2);
        assertThat(c.rateLimitPeriod()).isEqualTo(ResilienceSettings.SERVICE_DEFAULTS.rateLimitPeriod());
        assertThat(c.slidingWindowSize()).isEqualTo(ResilienceSettings.SERVICE_DEFAULTS.circuitWindow());
        assertThat(ResilienceSettings.SERVICE_DEFAULTS.rateLimit()).as("the services' limiter is on by default").isPositive();
    }

    @Test
    void variable_clientProblem_isRenamedToTheVariableThatSetsIt() {
        List<String> problems = CryptoClientConfig.builder().endpoint("127.0.0.1:1").authToken("t").rateLimit(-1, Duration.ofSeconds(1))
                .circuitBreaker(0f, 20, 10, Duration.ofSeconds(1), 1).retry(11, Duration.ofMillis(5), Duration.ofMillis(10), 2.0, 0.5).problems();
        List<String> renamed = problems.stream().map(p -> ResilienceSettings.variable("KEYLINE_X_", p)).toList();
        assertThat(renamed).contains("KEYLINE_X_RATE_LIMIT: must be 0 (off) or positive",
                "KEYLINE_X_CIRCUIT_FAILURE_RATE: must be a percentage above 0 and at most 100",
                "KEYLINE_X_RETRY_MAX_ATTEMPTS: must be between 1 and 10");
        assertThat(ResilienceSettings.variable("KEYLINE_X_", "endpoints: at least one host:port is required")).isNull();
        ConfigReader parse = ConfigReader.of(Map.of("KEYLINE_X_CIRCUIT_WINDOW", "wide", "KEYLINE_X_RETRY_MAX_BACKOFF", "1s"));
        ResilienceSettings kept = ResilienceSettings.read("KEYLINE_X_", parse::integer, parse::decimal, parse::duration);
        assertThat(kept).as("values that do not parse keep the defaults").isEqualTo(ResilienceSettings.SERVICE_DEFAULTS);
        assertThat(parse.problems()).containsExactlyInAnyOrder("KEYLINE_X_CIRCUIT_WINDOW: 'wide' is not an integer",
                "KEYLINE_X_RETRY_MAX_BACKOFF: '1s' is not an ISO-8601 duration such as PT30S");
    }

    @Test
    void configurationDoc_listsEveryResilienceVariableOfBothServices() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("mvnw"))) {
            root = root.getParent();
        }
        assertThat(root).isNotNull();
        String doc = Files.readString(root.resolve("docs/configuration.md"));
        List<String> all = new ArrayList<>(ResilienceSettings.variables("KEYLINE_TOKEN_CRYPTO_"));
        all.addAll(ResilienceSettings.variables("KEYLINE_IAM_CRYPTO_"));
        assertThat(all).hasSize(20);
        assertThat(all.stream().filter(v -> !doc.contains("| `" + v + "` |")).toList()).as("missing from docs/configuration.md").isEmpty();
    }
}
