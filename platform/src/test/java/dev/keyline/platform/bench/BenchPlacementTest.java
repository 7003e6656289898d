package dev.keyline.platform.bench;

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

/** Benchmark code ships in the platform only: the services' and the client's artifacts hold none. */
class BenchPlacementTest {
    @Test
    void serviceArtifacts_containNoBenchCode() throws Exception {
        for (Class<?> c : List.of(TokenServer.class, IamServer.class, CryptoServer.class, CryptoClient.class)) {
            List<String> entries = classEntries(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
            assertThat(entries).as("classes of %s's artifact", c.getSimpleName()).isNotEmpty()
                    .contains(c.getName().replace('.', '/') + ".class")
                    .noneMatch(e -> e.contains("/bench/") || e.matches("(.*/)?(TokenLoad|[A-Za-z]*Bench[A-Za-z]*)(\\$.*)?\\.class"));
        }
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
