package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import picocli.CommandLine.Command;

/**
 * {@code keyline up}: the crypto service, the token service and the IAM policy service in one
 * JVM on embedded defaults (SQLite and in-memory caches in the data directory), with everything
 * they need created on first start.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start Keyline (crypto, token and IAM policy services) on embedded defaults in ./keyline-data; run until Ctrl-C.")
public final class UpCommand extends RunCommand {
    @Override
    Running start(Settings settings) {
        return EmbeddedPlatform.start(settings);
    }
}
