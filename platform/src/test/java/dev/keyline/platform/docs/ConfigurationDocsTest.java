package dev.keyline.platform.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** docs/configuration.md must list every KEYLINE_* variable the main code of any module reads. */
class ConfigurationDocsTest {
    private static final Pattern VARIABLE = Pattern.compile("\"(KEYLINE_[A-Z0-9_]+)\"");

    @Test
    void configurationDoc_listsEveryVariableTheCodeReads() throws IOException {
        Path root = repositoryRoot();
        Set<String> used = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")).toList()) {
                Matcher m = VARIABLE.matcher(Files.readString(f));
                while (m.find()) {
                    used.add(m.group(1));
                }
            }
        }
        String doc = Files.readString(root.resolve("docs/configuration.md"));
        assertThat(used).as("variables read by the code").isNotEmpty().contains("KEYLINE_DATA_DIR");
        assertThat(used.stream().filter(v -> !doc.contains("`" + v + "`")).toList())
                .as("variables missing from docs/configuration.md").isEmpty();
    }

    private static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) {
            p = p.getParent();
        }
        assertThat(p).as("repository root (folder with mvnw)").isNotNull();
        return p;
    }
}
