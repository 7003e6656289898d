package dev.keyline.platform.run;

import picocli.CommandLine.Command;

/** {@code keyline crypto-service}: the crypto service alone, one replica of a scaled-out deployment. */
@Command(name = "crypto-service", mixinStandardHelpOptions = true,
        description = "Run only the crypto service (configured by KEYLINE_* environment variables) until Ctrl-C or SIGTERM.")
public final class CryptoServiceCommand extends RunCommand {
    @Override
    String title() {
        return "Keyline crypto service is up";
    }
}
