package dev.keyline.kit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @TempDir
    Path dir;

    @Test
    void load_nestedYaml_flattensToEnvironmentNames() throws Exception {
        Path f = dir.resolve("k.yaml");
        Files.writeString(f, "data_dir: /srv/keyline\nstore:\n  url: jdbc:postgresql://127.0.0.1:5432/test\ncrypto:\n  grpc_port: 50051\n"
                + "  endpoints: [a, b]\n");
        assertThat(Settings.load(f)).containsExactly(Map.entry("KEYLINE_DATA_DIR", "/srv/keyline"),
                Map.entry("KEYLINE_STORE_URL", "jdbc:postgresql://127.0.0.1:5432/test"), Map.entry("KEYLINE_CRYPTO_GRPC_PORT", "50051"),
                Map.entry("KEYLINE_CRYPTO_ENDPOINTS", "a,b"));
    }

    @Test
    void of_environmentVariable_winsOverTheFile() throws Exception {
        Path f = dir.resolve("k.yaml");
        Files.writeString(f, "crypto:\n  grpc_port: 1\n  http_port: 2\n");
        Settings s = Settings.of(Map.of("KEYLINE_CRYPTO_GRPC_PORT", "3"), f);
        assertThat(s.get("KEYLINE_CRYPTO_GRPC_PORT")).isEqualTo("3");
        assertThat(s.get("KEYLINE_CRYPTO_HTTP_PORT")).isEqualTo("2");
        s.requireAllFileSettingsUsed(f);
    }

    @Test
    void requireAllFileSettingsUsed_withSettingNobodyRead_namesIt() throws Exception {
        Path f = dir.resolve("k.yaml");
        Files.writeString(f, "crypto:\n  grpc_port: 1\n  grpc_prot: 2\n");
        Settings s = Settings.of(Map.of(), f);
        s.get("KEYLINE_CRYPTO_GRPC_PORT");
        assertThatThrownBy(() -> s.requireAllFileSettingsUsed(f)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.problems()).singleElement().asString().startsWith("crypto_grpc_prot (KEYLINE_CRYPTO_GRPC_PROT): in " + f);
            assertThat(e.getMessage()).doesNotContain("GRPC_PORT");
        });
    }

    @Test
    void load_malformedYamlOrBadKeys_failsWithInvalidConfig() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "crypto: [unclosed\n");
        assertThatThrownBy(() -> Settings.load(bad)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.getMessage()).contains("is not valid YAML"));
        Path keys = dir.resolve("keys.yaml");
        Files.writeString(keys, "Crypto:\n  grpc_port: 1\nstore:\n  url:\n");
        assertThatThrownBy(() -> Settings.load(keys)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.getMessage()).contains("Crypto: keys are lower case", "store.url: has no value"));
        Path list = dir.resolve("list.yaml");
        Files.writeString(list, "- a\n- b\n");
        assertThatThrownBy(() -> Settings.load(list)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.getMessage()).contains("must hold a YAML mapping"));
    }
}
