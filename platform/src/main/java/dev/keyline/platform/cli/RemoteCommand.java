package dev.keyline.platform.cli;

import java.io.IOException;
import picocli.CommandLine.Mixin;

/** An admin command that talks to a running crypto service over gRPC. */
abstract class RemoteCommand extends AdminCommand {
    @Mixin
    ServiceConnection connection;

    abstract int run(Printer out, CryptoSession service) throws IOException;

    @Override
    final int run(Printer out) throws IOException {
        try (CryptoSession service = connection.open(env())) {
            return run(out, service);
        }
    }
}
