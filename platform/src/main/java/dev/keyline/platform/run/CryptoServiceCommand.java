package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.kit.Tracing;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;

/** {@code keyline crypto-service}: the crypto service alone, one replica of a scaled-out deployment. */
@Command(name = "crypto-service", mixinStandardHelpOptions = true,
        description = "Run only the crypto service (configured by KEYLINE_* settings) until Ctrl-C or SIGTERM.")
public final class CryptoServiceCommand extends RunCommand {
    @Override
    Running start(Settings settings) {
        CryptoServiceConfig config = CryptoServiceConfig.fromEnvironment(settings).build();
        Tracing tracing = ServiceTracing.of(settings, "keyline-crypto-service");
        CryptoServer server = ServiceTracing.startCrypto(config, tracing);
        // Plaintext on a non-loopback address got here only with KEYLINE_CRYPTO_ALLOW_INSECURE=true (see CryptoServiceConfig).
        String transport = !config.tlsEnabled() ? "plaintext" : config.tlsClientCa() == null ? "tls" : "mutual-tls";
        LoggerFactory.getLogger(CryptoServiceCommand.class).info("crypto service started: grpc={}:{} ({}) http={}:{} data_dir={}",
                config.grpcHost(), server.grpcPort(), transport, config.httpHost(), server.httpPort(), config.dataDir().toAbsolutePath());
        return new Running() {
            @Override
            public void printBanner(PrintWriter out) {
                new Banner("Keyline crypto service is up", config, server, settings).print(out);
            }

            @Override
            public void close() {
                try {
                    server.close();
                } finally {
                    tracing.close();
                }
            }
        };
    }
}
