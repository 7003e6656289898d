package dev.keyline.platform.cli;

import dev.keyline.platform.Keyline;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientsFile;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keyline clients create}: an OAuth client of the token service, written (hashed secret
 * only) into its clients file. The secret is printed once and never stored in the clear.
 */
@Command(name = "clients", mixinStandardHelpOptions = true, description = "Create OAuth clients of the token service.",
        subcommands = ClientsCommand.Create.class)
public final class ClientsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Keyline.USAGE;
    }

    /** {@code keyline clients create ID}. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Add a client to the clients file and print its new random secret (once).")
    static final class Create extends AdminCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "Client id.")
        String id;

        @Option(names = "--file", paramLabel = "FILE",
                description = "Clients file (JSON or YAML; default: $KEYLINE_TOKEN_CLIENTS_FILE, else $KEYLINE_DATA_DIR/clients.json).")
        Path file;

        @Option(names = "--grants", split = ",", defaultValue = "client_credentials",
                description = "Grants: client_credentials, refresh_token, sessions:issue (default: ${DEFAULT-VALUE}).")
        List<String> grants;

        @Option(names = "--scopes", split = ",", description = "Scopes the client may ask for.")
        List<String> scopes = List.of();

        @Option(names = "--audience", split = ",", description = "Audience (aud) of its tokens.")
        List<String> audience = List.of();

        @Option(names = "--access-token-lifetime", defaultValue = "PT15M", description = "ISO-8601 (default: ${DEFAULT-VALUE}).")
        String accessLifetime;

        @Option(names = "--refresh-token-lifetime", defaultValue = "P30D", description = "ISO-8601 (default: ${DEFAULT-VALUE}).")
        String refreshLifetime;

        @Override
        int run(Printer out) {
            Set<String> g = new LinkedHashSet<>(grants);
            for (String grant : g) {
                if (!Client.KNOWN_GRANTS.contains(grant)) {
                    throw CliFailure.usage("unknown grant '" + grant + "'; expected one of " + String.join(", ", Client.KNOWN_GRANTS));
                }
            }
            Duration access = duration("--access-token-lifetime", accessLifetime);
            Duration refresh = duration("--refresh-token-lifetime", refreshLifetime);
            Path target = file != null ? file
                    : dev.keyline.kit.config.ConfigReader.of(env()).path("KEYLINE_TOKEN_CLIENTS_FILE")
                            .orElse(ServiceConnection.dataDir(env()).resolve("clients.json"));
            Client.NewClient created;
            try {
                created = Client.create(id, g, scopes, audience, access, refresh, new SecureRandom());
                ClientsFile.add(target, created.client(), access, refresh);
            } catch (IllegalArgumentException e) {
                throw CliFailure.usage(e.getMessage());
            }
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("client_id", id);
                m.put("client_secret", created.secret());
                m.put("file", target.toAbsolutePath().toString());
                out.json(m);
            } else {
                out.line(created.secret());
                out.note("created client " + id + " in " + target.toAbsolutePath()
                        + "; its secret is printed above, once (a running token service reads the file at start)");
            }
            return Keyline.OK;
        }

        private static Duration duration(String option, String v) {
            try {
                return Duration.parse(v);
            } catch (DateTimeParseException e) {
                throw CliFailure.usage(option + " must be an ISO-8601 duration such as PT15M, got '" + v + "'");
            }
        }
    }
}
