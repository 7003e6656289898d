package dev.keyline.platform.run;

import dev.keyline.token.server.TokenServer;
import dev.keyline.token.server.TokenServerConfig;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code keyline token-service}: the token service alone, talking to a crypto service elsewhere. */
@Command(name = "token-service", mixinStandardHelpOptions = true,
        description = "Run only the token service (KEYLINE_TOKEN_* settings; the crypto service at KEYLINE_TOKEN_CRYPTO_ENDPOINT).")
public final class TokenServiceCommand extends RunCommand {
    @Override
    Running start(Settings settings) {
        TokenServer server = TokenServer.start(TokenServerConfig.fromEnvironment(settings));
        return new Running() {
            @Override
            public void printBanner(PrintWriter out) {
                out.println("Keyline token service is up");
                out.println("  token endpoint  " + server.baseUrl() + "/oauth2/token");
                out.println("  JWKS            " + server.baseUrl() + "/.well-known/jwks.json");
                out.println("  health          " + server.baseUrl() + "/health");
                out.println("Stop with Ctrl-C.");
            }

            @Override
            public void close() {
                server.close();
            }
        };
    }
}
