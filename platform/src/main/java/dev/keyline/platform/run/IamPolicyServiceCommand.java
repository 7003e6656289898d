package dev.keyline.platform.run;

import dev.keyline.iam.server.IamServer;
import dev.keyline.iam.server.IamServerConfig;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code keyline iam-policy-service}: the IAM policy service alone, talking to a crypto service elsewhere. */
@Command(name = "iam-policy-service", mixinStandardHelpOptions = true,
        description = "Run only the IAM policy service (KEYLINE_IAM_* settings; the crypto service at KEYLINE_IAM_CRYPTO_ENDPOINT).")
public final class IamPolicyServiceCommand extends RunCommand {
    @Override
    Running start(Settings settings) {
        IamServer server = IamServer.start(IamServerConfig.fromEnvironment(settings));
        return Running.of("Keyline IAM policy service is up", List.of(
                List.of("authorize", server.baseUrl() + "/v1/authorize"),
                List.of("keys", server.baseUrl() + "/v1/decisions/jwks"),
                List.of("health", server.baseUrl() + "/health")), server::close);
    }
}
