package dev.keyline.platform.run;

import picocli.CommandLine.Command;

/**
 * {@code keyline up}: everything on embedded defaults in one JVM. For now that is the crypto
 * service; the token and IAM services join here as they are built.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start Keyline on embedded defaults (SQLite in ./keyline-data) and run until Ctrl-C.")
public final class UpCommand extends RunCommand {
    @Override
    String title() {
        return "Keyline is up";
    }
}
