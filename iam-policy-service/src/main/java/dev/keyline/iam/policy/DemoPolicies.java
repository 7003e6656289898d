package dev.keyline.iam.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo policy directory shipped in this jar (resource folder
 * {@code dev/keyline/iam/demo-policies/}): users, roles with a parent role (viewer ⊂ editor ⊂
 * admin), documents, a schema and a few policies, including a forbid. {@code keyline up} copies it
 * into the data directory when no policy directory exists yet.
 */
public final class DemoPolicies {
    /** The files of the demo directory. */
    public static final List<String> FILES = List.of("documents.cedar", "admin.cedar", "entities.json", "schema.cedarschema");
    private static final String FOLDER = "/dev/keyline/iam/demo-policies/";

    private DemoPolicies() {
    }

    /**
     * Copies the demo files into {@code directory} (created if needed) unless it already holds any
     * {@code *.cedar} file. Returns whether it copied.
     */
    public static boolean installIfAbsent(Path directory) {
        try {
            Files.createDirectories(directory);
            try (var list = Files.list(directory)) {
                if (list.anyMatch(p -> p.getFileName().toString().endsWith(".cedar"))) {
                    return false;
                }
            }
            for (String name : FILES) {
                try (InputStream in = DemoPolicies.class.getResourceAsStream(FOLDER + name)) {
                    if (in == null) {
                        throw new IllegalStateException("demo policy resource " + FOLDER + name + " is missing from the jar");
                    }
                    Files.copy(in, directory.resolve(name));
                }
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the demo policies into " + directory, e);
        }
    }
}
