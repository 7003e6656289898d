package dev.keyline.platform.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --data-dir}: for commands that work on the service's files directly rather than over gRPC. */
final class DataDirOption {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "The service's data directory (default $KEYLINE_DATA_DIR, else ./keyline-data).")
    Path dataDir;

    /** {@code env} with {@code KEYLINE_DATA_DIR} replaced by {@code --data-dir} when given. */
    Map<String, String> apply(Map<String, String> env) {
        if (dataDir == null) {
            return env;
        }
        Map<String, String> copy = new HashMap<>(env);
        copy.put("KEYLINE_DATA_DIR", dataDir.toString());
        return copy;
    }
}
