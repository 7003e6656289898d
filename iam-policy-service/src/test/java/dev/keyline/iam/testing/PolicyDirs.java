package dev.keyline.iam.testing;

import dev.keyline.iam.policy.DemoPolicies;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** Policy directories for tests. */
public final class PolicyDirs {
    private PolicyDirs() {
    }

    /** A fresh copy of the demo directory under {@code parent}. */
    public static Path demo(Path parent) {
        Path dir = parent.resolve("policies");
        DemoPolicies.installIfAbsent(dir);
        return dir;
    }

    /** A directory holding exactly {@code files} (name → content). */
    public static Path of(Path dir, Map<String, String> files) {
        try {
            Files.createDirectories(dir);
            for (var f : files.entrySet()) {
                Files.writeString(dir.resolve(f.getKey()), f.getValue());
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces {@code file} in {@code dir} atomically (write aside, then rename over). */
    public static void replaceAtomically(Path dir, String file, String content) {
        try {
            Path tmp = Files.createTempFile(dir.getParent(), ".swap", ".tmp");
            Files.writeString(tmp, content);
            Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
