package dev.keyline.platform.run;

import dev.keyline.kit.config.ConfigException;
import dev.keyline.kit.config.Settings;
import dev.keyline.kit.Tracing;
import dev.keyline.iam.server.IamServer;
import dev.keyline.iam.server.IamServerConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code keyline iam-policy-service}: the IAM policy service alone, talking to a crypto service
 * elsewhere. Unlike {@code keyline up}, it refuses to run with the crypto service's admin token
 * unless {@code KEYLINE_IAM_ALLOW_ADMIN_TOKEN=true} ({@link IamServerConfig#standaloneProblems()}).
 */
@Command(name = "iam-policy-service", mixinStandardHelpOptions = true,
        description = "Run only the IAM policy service (KEYLINE_IAM_* settings; the crypto service at KEYLINE_IAM_CRYPTO_ENDPOINT).")
public final class IamPolicyServiceCommand extends RunCommand {
    @Override
    Running start(Settings settings) {
        IamServer server;
        Tracing tracing = ServiceTracing.of(settings, ServiceTracing.IAM);
        try {
            IamServerConfig config = IamServerConfig.fromEnvironment(settings);
            List<String> refused = config.standaloneProblems();
            if (!refused.isEmpty()) {
                // The reason and both ways out.
                throw new ConfigException(IamServerConfig.SUBJECT, refused);
            }
            server = IamServer.builder(config).tracing(tracing).start();
        } catch (RuntimeException e) {
            // RunCommand reports configuration problems (ConfigException).
            tracing.close();
            throw e;
        }
        List<List<String>> rows = new ArrayList<>(List.of(
                List.of("authorize", server.baseUrl() + "/v1/authorize  (bearer token with scope iam:authorize, audience "
                        + server.config().authAudience() + ", from " + server.config().authIssuer() + ")"),
                List.of("keys", server.baseUrl() + "/v1/decisions/jwks"),
                List.of("health", server.baseUrl() + "/health")));
        server.managementUrl().ifPresent(m -> rows.add(List.of("metrics", m + "/metrics")));
        return Running.of("Keyline IAM policy service is up", rows, () -> ServiceTracing.close(server::close, tracing));
    }
}
