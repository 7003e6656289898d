package dev.keyline.platform.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.platform.Cli;
import dev.keyline.platform.Cli.Result;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProvidersCommandTest {
    @Test
    void providers_json_namesTheProviderOfEveryAlgorithm() throws Exception {
        Result r = Cli.run(Map.of(), "providers", "--json");

        JsonNode json = new ObjectMapper().readTree(r.out());
        JsonNode algorithms = json.get("algorithms");
        assertThat(r.exitCode()).isZero();
        for (KeyAlgorithm a : KeyAlgorithm.values()) {
            assertThat(algorithms.get(a.name()).asText()).isEqualTo(CryptoProviders.defaults().report().get(a.name()));
        }
        assertThat(algorithms.size()).isEqualTo(KeyAlgorithm.values().length);
        assertThat(json.get("random").asText()).isEqualTo(CryptoProviders.defaults().report().get("random"));
    }

    @Test
    void providers_table_hasOneRowPerAlgorithmAndTheNativeStatus() {
        Result r = Cli.run(Map.of(), "providers");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out().lines().findFirst().orElseThrow()).startsWith("ALGORITHM").contains("PROVIDER");
        assertThat(r.out()).contains(Arrays.stream(KeyAlgorithm.values()).map(Enum::name).toArray(String[]::new))
                .contains("native provider").contains("random numbers");
    }
}
