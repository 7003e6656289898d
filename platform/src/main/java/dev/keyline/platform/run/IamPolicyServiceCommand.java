package dev.keyline.platform.run;

import dev.keyline.iam.server.IamServer;
import dev.keyline.iam.server.IamServerConfig;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code keyline iam-policy-service}: the IAM policy service alone, talking to a crypto service elsewhere. */
@Command(name = "iam-policy-service", mixinStandardHelpOptions = true,
        description = "Run only the IAM policy service (KEYLINE_IAM_* settings; the crypto service at KEYLINE_IAM_CRYPTO_ENDPOINT).")
public final class IamPolicyServiceCommand extends RunCommand {
    @Override
    Running start(Settings settings) {
        IamServer server = IamServer.start(IamServerConfig.fromEnvironment(settings));
        return new Running() {
            @Override
            public void printBanner(PrintWriter out) {
                out.println("Keyline IAM policy service is up");
                out.println("  authorize  " + server.baseUrl() + "/v1/authorize");
                out.println("  keys       " + server.baseUrl() + "/v1/decisions/jwks");
                out.println("  health     " + server.baseUrl() + "/health");
                out.println("Stop with Ctrl-C.");
            }

            @Override
            public void close() {
                server.close();
            }
        };
    }
}
