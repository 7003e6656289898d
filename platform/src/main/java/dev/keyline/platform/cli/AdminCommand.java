package dev.keyline.platform.cli;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.platform.Keyline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that prints a result or a one-line error and returns an exit code. Failures a user
 * can cause (a refused call, a bad key id, a missing file) become {@code error: ...} on stderr;
 * only bugs escape as exceptions.
 */
abstract class AdminCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one line of JSON instead of text (for scripts).")
    boolean json;

    /** Does the work; returns the exit code. */
    abstract int run(Printer out) throws IOException;

    @Override
    public final Integer call() {
        Printer out = new Printer(spec.commandLine().getOut(), spec.commandLine().getErr(), json);
        try {
            return run(out);
        } catch (CliFailure f) {
            out.error(f.getMessage());
            return f.exitCode();
        } catch (ConfigException e) {
            // The local settings (master key, data directory) the command reads.
            out.error(e.getMessage());
            return Keyline.USAGE;
        } catch (CryptoException e) {
            // Raised by local validation (key ids, grants, configuration) before anything is sent.
            out.error(e.reason() + ": " + e.getMessage());
            return switch (e.reason()) {
                case INVALID_ARGUMENT, INVALID_CONFIG -> Keyline.USAGE;
                default -> Keyline.FAILED;
            };
        } catch (NoSuchFileException e) {
            out.error("no such file: " + e.getFile());
            return Keyline.USAGE;
        } catch (IOException e) {
            out.error(describe(e));
            return Keyline.FAILED;
        } catch (UncheckedIOException e) {
            out.error(e.getMessage() + ": " + describe(e.getCause()));
            return Keyline.FAILED;
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    final Keyline keyline() {
        return (Keyline) spec.root().userObject();
    }

    final Map<String, String> env() {
        return keyline().env();
    }
}
