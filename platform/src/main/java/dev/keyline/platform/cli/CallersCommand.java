package dev.keyline.platform.cli;

import dev.keyline.crypto.service.access.AccessControl;
import dev.keyline.crypto.service.access.Caller;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.crypto.service.store.JdbcKeyStore;
import dev.keyline.crypto.service.store.MasterKey;
import dev.keyline.crypto.service.store.RowMac;
import dev.keyline.platform.Keyline;
import dev.keyline.platform.run.ServiceCaller;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keyline callers ...}: who may call the crypto service. Works on the key store itself
 * (the one the service's {@code KEYLINE_*} settings name), so it also works while the service is
 * down; a running service sees changes within its token cache time (a few seconds).
 */
@Command(name = "callers", mixinStandardHelpOptions = true, description = "Issue, list and revoke the tokens of callers.",
        subcommands = {CallersCommand.Create.class, CallersCommand.ListCallers.class, CallersCommand.Revoke.class})
public final class CallersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Keyline.USAGE;
    }

    /** Opens the store the service's settings name; refuses to create an empty SQLite store. */
    abstract static class StoreCommand extends AdminCommand {
        @Mixin
        DataDirOption dataDir;

        abstract int run(Printer out, AccessControl access);

        @Override
        final int run(Printer out) {
            CryptoServiceConfig config = CryptoServiceConfig.fromEnvironment(dataDir.apply(env())).build();
            String url = config.storeUrl();
            if (url.startsWith("jdbc:sqlite:") && !Files.exists(Path.of(url.substring("jdbc:sqlite:".length())))) {
                // A caller written into a fresh store would stop the first start from creating the admin token.
                throw CliFailure.usage("no key store in " + config.dataDir().toAbsolutePath() + "; start the service once (./keyline up)"
                        + " or pass --data-dir");
            }
            // The service's master key: caller rows carry a MAC under a key derived from it.
            MasterKey masterKey = MasterKey.loadExisting(config.masterKeyBase64(), config.path("master.key"), new SecureRandom())
                    .orElseThrow(() -> CliFailure.usage("no master key: set " + MasterKey.ENV + " or pass the --data-dir holding master.key"));
            try (JdbcKeyStore store = JdbcKeyStore.open(url, config.storeUser(), config.storePassword(), config.storeSchema(), masterKey,
                    RowMac.Listener.NONE, config.trustExistingRows())) {
                return run(out, new AccessControl(store.callers(), new SecureRandom(), InstantSource.system(), Duration.ofSeconds(1)));
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a caller and print its new token (shown only this once) on stdout.",
                "Give exactly one of --grants and --for. For Keyline's own services, --for grants the least they need:",
                "  token-service:      token:sign,read,data-key,decrypt",
                "  iam-policy-service: iam:sign,verify,read,data-key,decrypt",
                "and lists the keys to create first (a service token cannot create, rotate or destroy keys)."})
    static final class Create extends StoreCommand {
        @Parameters(paramLabel = "NAME", description = "The caller's name, e.g. token-service.")
        String name;

        @Option(names = "--grants", paramLabel = "GRANTS",
                description = "What it may do: 'ns:op,op;ns2:*'. Operations: encrypt, decrypt, sign, verify, data-key, manage, read;"
                        + " * as namespace means every namespace.")
        String grants;

        @Option(names = "--for", paramLabel = "SERVICE",
                description = "A Keyline service this caller is: token-service or iam-policy-service; grants it the least it needs.")
        String service;

        @Option(names = "--replace", description = "Give an existing caller new grants and a new token; its old token stops working.")
        boolean replace;

        @Override
        int run(Printer out, AccessControl access) {
            if ((grants == null) == (service == null)) {
                throw CliFailure.usage("give exactly one of --grants and --for (token-service, iam-policy-service)");
            }
            Optional<ServiceCaller> forService;
            try {
                forService = service == null ? Optional.empty() : Optional.of(ServiceCaller.forService(service));
            } catch (IllegalArgumentException e) {
                throw CliFailure.usage("--for: " + e.getMessage());
            }
            List<Grant> parsed = forService.map(ServiceCaller::grants).orElseGet(() -> Grant.parseList(grants));
            if (parsed.isEmpty()) {
                throw CliFailure.usage("--grants is empty; give at least one namespace:operations");
            }
            if (parsed.stream().anyMatch(g -> g.namespace().equals("*"))) {
                out.note("warning: " + name + " may use every key namespace ('*'); a leaked token then reaches every key");
            }
            boolean exists = access.list().stream().anyMatch(c -> c.name().equals(name));
            if (exists && !replace) {
                throw CliFailure.failed("caller " + name + " already exists; pass --replace to give it new grants and a new token");
            }
            AccessControl.IssuedToken issued = access.issue(name, parsed);
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", issued.caller().name());
                m.put("grants", Grant.formatList(issued.caller().grants()));
                m.put("token", issued.token());
                forService.ifPresent(s -> m.put("keys_to_create", s.keyCommands()));
                out.json(m);
            } else {
                forService.ifPresent(s -> out.note(s.serviceName() + " needs these keys, created by an admin before it starts: "
                        + String.join("; ", s.keyCommands())));
                out.note((exists ? "replaced" : "created") + " caller " + name + " with grants " + Grant.formatList(issued.caller().grants())
                        + "; its token follows and is shown only now (give it to the program as "
                        + forService.map(s -> s == ServiceCaller.TOKEN_SERVICE ? "KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN"
                                : "KEYLINE_IAM_CRYPTO_AUTH_TOKEN").orElse("KEYLINE_TOKEN") + "):");
                out.line(issued.token());
            }
            return Keyline.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List callers and their grants (never tokens).")
    static final class ListCallers extends StoreCommand {
        @Override
        int run(Printer out, AccessControl access) {
            List<Caller> callers = access.list();
            if (out.json()) {
                out.json(Map.of("callers", callers.stream().map(c -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", c.name());
                    m.put("grants", Grant.formatList(c.grants()));
                    m.put("created_at", c.createdAt().toString());
                    return m;
                }).toList()));
            } else {
                out.table(List.of("NAME", "GRANTS", "CREATED"), callers.stream()
                        .map(c -> List.of(c.name(), Grant.formatList(c.grants()), c.createdAt().truncatedTo(ChronoUnit.SECONDS).toString()))
                        .toList());
            }
            return Keyline.OK;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Delete a caller; its token stops working.")
    static final class Revoke extends StoreCommand {
        @Parameters(paramLabel = "NAME", description = "The caller.")
        String name;

        @Override
        int run(Printer out, AccessControl access) {
            if (!access.revoke(name)) {
                throw CliFailure.failed("no caller named " + name + " (keyline callers list shows them)");
            }
            if (out.json()) {
                out.json(Map.of("revoked", name));
            } else {
                out.line("revoked caller " + name + "; a running service refuses its token within a few seconds");
            }
            return Keyline.OK;
        }
    }
}
