package dev.keyline.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.iam.server.IamServer;
import dev.keyline.token.server.TokenServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What each artifact holds: no benchmark code in the services and the client; no simple class name meaning two things. */
class ArtifactLayoutTest {
    @Test
    void serviceArtifacts_containNoBenchCode() throws Exception {
        for (Class<?> c : List.of(TokenServer.class, IamServer.class, CryptoServer.class, CryptoClient.class)) {
            List<String> entries = classEntries(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
            assertThat(entries).as("classes of %s's artifact", c.getSimpleName()).isNotEmpty()
                    .contains(c.getName().replace('.', '/') + ".class")
                    .noneMatch(e -> e.contains("/bench/") || e.matches("(.*/)?(TokenLoad|[A-Za-z]*Bench[A-Za-z]*)(\\$.*)?\\.class"));
        }
    }

    /**
     * Across the hand-written artifacts (core, client, kit, the three services, the platform) no two
     * top-level classes share a simple name: a reader who sees {@code Health} or {@code Caller} in a
     * stack trace or an import knows which one it is. Generated protobuf classes (crypto-api) are
     * left out; the crypto client wraps them under its own names.
     */
    @Test
    void mainArtifacts_haveNoTwoTopLevelClassesWithTheSameSimpleName() throws Exception {
        java.util.Map<String, List<String>> byName = new java.util.TreeMap<>();
        List<Class<?>> anchors = List.of(dev.keyline.crypto.core.CryptoException.class, CryptoClient.class, dev.keyline.kit.Health.class,
                CryptoServer.class, TokenServer.class, IamServer.class, Keyline.class);
        for (Class<?> c : anchors) {
            for (String e : classEntries(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()))) {
                String simple = e.substring(e.lastIndexOf('/') + 1, e.length() - ".class".length());
                if (!simple.contains("$") && !simple.equals("package-info") && !simple.equals("module-info")) {
                    byName.computeIfAbsent(simple, k -> new ArrayList<>()).add(e);
                }
            }
        }
        assertThat(byName).as("top-level classes of the main artifacts").hasSizeGreaterThan(200);
        assertThat(byName.entrySet().stream().filter(en -> en.getValue().size() > 1).map(Object::toString).toList())
                .as("simple names used by more than one class").isEmpty();
    }

    /** The class files of a jar or a classes directory, as relative paths with '/'. */
    private static List<String> classEntries(Path location) throws IOException {
        List<String> out = new ArrayList<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.walk(location)) {
                files.filter(p -> p.toString().endsWith(".class")).forEach(p -> out.add(location.relativize(p).toString().replace('\\', '/')));
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                jar.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class")).forEach(out::add);
            }
        }
        return out;
    }
}
