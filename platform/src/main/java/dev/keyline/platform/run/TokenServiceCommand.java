package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import dev.keyline.kit.Tracing;
import dev.keyline.token.server.TokenServer;
import dev.keyline.token.server.TokenServerConfig;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code keyline token-service}: the token service alone, talking to a crypto service elsewhere. */
@Command(name = "token-service", mixinStandardHelpOptions = true,
        description = "Run only the token service (KEYLINE_TOKEN_* settings; the crypto service at KEYLINE_TOKEN_CRYPTO_ENDPOINT).")
public final class TokenServiceCommand extends RunCommand {
    @Override
    Running start(Settings settings) {
        TokenServerConfig config = TokenServerConfig.fromEnvironment(settings);
        Tracing tracing = ServiceTracing.of(settings, ServiceTracing.TOKEN);
        TokenServer server = ServiceTracing.start(tracing, t -> TokenServer.builder(config).tracing(t).start());
        return Running.of("Keyline token service is up", List.of(
                List.of("token endpoint", server.baseUrl() + "/oauth2/token"),
                List.of("JWKS", server.baseUrl() + "/.well-known/jwks.json"),
                List.of("health", server.baseUrl() + "/health"),
                List.of("metrics", server.managementUrl() + "/metrics")), () -> ServiceTracing.close(server::close, tracing));
    }
}
