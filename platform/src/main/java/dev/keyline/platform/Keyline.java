package dev.keyline.platform;

import dev.keyline.platform.bench.BenchCommand;
import dev.keyline.platform.cli.AuditCommand;
import dev.keyline.platform.cli.CallersCommand;
import dev.keyline.platform.cli.ClientsCommand;
import dev.keyline.platform.cli.DecryptCommand;
import dev.keyline.platform.cli.EncryptCommand;
import dev.keyline.platform.cli.KeysCommand;
import dev.keyline.platform.cli.ProvidersCommand;
import dev.keyline.platform.cli.SignCommand;
import dev.keyline.platform.cli.VerifyCommand;
import dev.keyline.platform.run.CryptoServiceCommand;
import dev.keyline.platform.run.IamPolicyServiceCommand;
import dev.keyline.platform.run.TokenServiceCommand;
import dev.keyline.platform.run.UpCommand;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code keyline} command: runs the services and administers a running crypto service.
 *
 * <p>Exit codes: 0 success, 1 the operation failed (the service said no, a signature is
 * invalid, an audit chain is broken), 2 the command line or the configuration is wrong.
 * Results go to stdout (tables for people, one JSON document with {@code --json}); errors go to
 * stderr as one line, never as a stack trace.
 */
@Command(name = "keyline", mixinStandardHelpOptions = true, versionProvider = Keyline.Version.class,
        description = "Keyline: one crypto service for every key, and the services that use it.",
        subcommands = {
            UpCommand.class,
            CryptoServiceCommand.class,
            TokenServiceCommand.class,
            IamPolicyServiceCommand.class,
            KeysCommand.class,
            EncryptCommand.class,
            DecryptCommand.class,
            SignCommand.class,
            VerifyCommand.class,
            CallersCommand.class,
            ClientsCommand.class,
            AuditCommand.class,
            ProvidersCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Keyline implements Callable<Integer> {
    public static final int OK = 0;
    /** The operation failed: the service refused it, a signature is invalid, a chain is broken. */
    public static final int FAILED = 1;
    /** The command line or the configuration is wrong. */
    public static final int USAGE = 2;

    private final Map<String, String> env;
    private final InputStream stdin;

    @Spec
    CommandSpec spec;

    /** Reads settings from the process environment and input from the process's stdin. */
    public Keyline() {
        this(System.getenv(), System.in);
    }

    /** For tests and embedding: {@code env} stands in for the environment variables. */
    public Keyline(Map<String, String> env, InputStream stdin) {
        this.env = Map.copyOf(env);
        this.stdin = Objects.requireNonNull(stdin);
    }

    /** The environment the commands read {@code KEYLINE_*} settings from. */
    public Map<String, String> env() {
        return env;
    }

    public InputStream stdin() {
        return stdin;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }

    /**
     * A command line for {@code keyline} whose usage errors print one line and a hint instead of
     * the whole usage text.
     */
    public static CommandLine commandLine(Keyline keyline) {
        CommandLine cl = new CommandLine(keyline);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            PrintWriter err = failed.getErr();
            String message = String.valueOf(e.getMessage());
            // Some picocli messages already start with "Error: ".
            err.println("error: " + (message.startsWith("Error: ") ? message.substring(7) : message));
            err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return USAGE;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new Keyline()).execute(args));
    }

    /** The version from the jar manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Keyline.class.getPackage().getImplementationVersion();
            return new String[] {"keyline " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
