package dev.keyline.kit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {
    private enum Kind { MEMORY, REDIS }

    @Test
    void reads_everyType_fromTheirTextForms() {
        ConfigReader r = ConfigReader.of(Map.of("P", " 8080 ", "B", "Yes", "D", "PT1.5S", "E", "redis", "L", "a, b,,c", "F", "/x/y",
                "N", "0.25", "S", "c2VjcmV0"));
        assertThat(r.port("P", 1)).isEqualTo(8080);
        assertThat(r.bool("B", false)).isTrue();
        assertThat(r.duration("D", Duration.ZERO)).isEqualTo(Duration.ofMillis(1500));
        assertThat(r.enumValue("E", Kind.class, Kind.MEMORY)).isEqualTo(Kind.REDIS);
        assertThat(r.list("L", List.of())).containsExactly("a", "b", "c");
        assertThat(r.path("F")).contains(Path.of("/x/y"));
        assertThat(r.decimal("N")).contains(0.25);
        assertThat(r.base64Secret("S")).hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("secret"));
        assertThat(r.problems()).isEmpty();
    }

    @Test
    void unsetOrBlank_takesTheDefault_withoutAProblem() {
        ConfigReader r = ConfigReader.of(Map.of("BLANK", "  "));
        assertThat(r.integer("BLANK", 7)).isEqualTo(7);
        assertThat(r.string("MISSING", "d")).isEqualTo("d");
        assertThat(r.bool("MISSING", true)).isTrue();
        assertThat(r.problems()).isEmpty();
        r.throwIfInvalid("test");
    }

    @Test
    void badValues_areAllListed_eachNamingItsVariable_andTheDefaultIsKept() {
        ConfigReader r = ConfigReader.of(Map.of("P", "99999", "I", "x1", "B", "maybe", "D", "30s", "NEG", "-PT1S", "E", "disk"));
        assertThat(r.port("P", 80)).isEqualTo(80);
        assertThat(r.integer("I", 3)).isEqualTo(3);
        assertThat(r.bool("B", true)).isTrue();
        assertThat(r.duration("D", Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
        assertThat(r.duration("NEG")).isEmpty();
        assertThat(r.enumValue("E", Kind.class)).isEmpty();
        assertThat(r.problems()).containsExactly("P: must be between 0 and 65535, got 99999", "I: 'x1' is not an integer",
                "B: 'maybe' is not true or false", "D: '30s' is not an ISO-8601 duration such as PT30S",
                "NEG: must not be negative, got -PT1S", "E: 'disk' must be one of [memory, redis]");
        assertThatThrownBy(() -> r.throwIfInvalid("token service")).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.problems()).hasSize(6);
            assertThat(e.subject()).isEqualTo("token service");
            assertThat(e.getMessage()).startsWith("invalid token service configuration (6 problems): P: must be");
        });
    }

    @Test
    void base64Secret_thatDoesNotDecode_isAProblemThatNeverShowsTheValue() {
        ConfigReader r = ConfigReader.of(Map.of("K", "not*base64*hunter2"));
        assertThat(r.base64Secret("K")).isEmpty();
        assertThat(r.problems()).containsExactly("K: is not base64");
        assertThat(String.join("", r.problems())).doesNotContain("hunter2");
    }

    @Test
    void readsThroughSettings_recordTheNamesAskedFor(@org.junit.jupiter.api.io.TempDir Path dir) throws java.io.IOException {
        Path file = java.nio.file.Files.writeString(dir.resolve("k.yaml"), "a: 1\nb: 2\n");
        Settings s = Settings.of(Map.of("KEYLINE_A", "3"), file);
        ConfigReader r = ConfigReader.of(s);
        assertThat(r.integer("KEYLINE_A", 0)).as("the environment wins").isEqualTo(3);
        assertThatThrownBy(() -> s.requireAllFileSettingsUsed(file)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).singleElement().asString().startsWith("b (KEYLINE_B): in "));
        assertThat(r.integer("KEYLINE_B", 0)).isEqualTo(2);
        s.requireAllFileSettingsUsed(file);
    }

    @Test
    void dataDir_unsetOrBlank_isTheDefaultEverywhere() {
        assertThat(ConfigReader.of(Map.of()).dataDir()).isEqualTo(ConfigReader.DEFAULT_DATA_DIR);
        assertThat(ConfigReader.of(Map.of("KEYLINE_DATA_DIR", " ")).dataDir()).isEqualTo(ConfigReader.DEFAULT_DATA_DIR);
        assertThat(ConfigReader.of(Map.of("KEYLINE_DATA_DIR", "/srv/k")).dataDir()).isEqualTo(Path.of("/srv/k"));
    }

    @Test
    void configException_withoutProblems_isRefused() {
        assertThatThrownBy(() -> new ConfigException("x", List.of())).isInstanceOf(IllegalArgumentException.class);
        ConfigException.throwIfAny("x", List.of());
        assertThat(ConfigException.of("crypto service", "KEYLINE_X: bad").getMessage())
                .isEqualTo("invalid crypto service configuration (1 problem): KEYLINE_X: bad");
    }
}
