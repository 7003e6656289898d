package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.iam.IamException;
import dev.keyline.platform.Keyline;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs services in the foreground until SIGINT or SIGTERM. A shutdown hook closes them, which
 * stops new requests and lets in-flight ones finish; the JVM then exits with the signal's status
 * (130 for SIGINT, 143 for SIGTERM), as a shell expects of an interrupted program.
 */
abstract class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML settings (same names as the KEYLINE_* variables, nested and lower case; environment variables win).")
    Path configFile;

    /** Starts what this command runs from {@code settings}; configuration problems throw {@link ConfigException}. */
    abstract Running start(Settings settings);

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Keyline keyline = (Keyline) spec.root().userObject();
        Running running;
        try {
            Settings settings = configFile == null ? Settings.of(keyline.env()) : Settings.of(keyline.env(), configFile);
            running = start(settings);
            if (configFile != null) {
                try {
                    settings.requireAllFileSettingsUsed(configFile);
                } catch (ConfigException e) {
                    running.close();
                    throw e;
                }
            }
        } catch (ConfigException e) {
            err.println("error: " + listed(e));
            err.flush();
            return Keyline.USAGE;
        } catch (CryptoException e) {
            // Not the settings (those are ConfigExceptions): the crypto service refused or failed something at start.
            err.println("error: cannot start: " + e.reason() + ": " + e.getMessage());
            err.flush();
            return Keyline.FAILED;
        } catch (IamException e) {
            err.println("error: cannot start: " + e.reason() + ": " + e.getMessage());
            err.flush();
            return Keyline.FAILED;
        } catch (UncheckedIOException e) {
            err.println("error: cannot start: " + e.getMessage() + ": " + e.getCause().getMessage());
            err.flush();
            return Keyline.FAILED;
        }
        running.printBanner(out);
        out.flush();

        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean closing = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("keyline-shutdown").unstarted(() -> {
            if (closing.compareAndSet(false, true)) {
                LOG.info("stopping: no new requests, waiting for in-flight ones to finish");
                running.close();
                LOG.info("stopped");
                stopped.countDown();
            }
        }));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Keyline.OK;
    }

    /** A configuration error: one problem on the line, several one per line below it. */
    static String listed(ConfigException e) {
        StringBuilder sb = new StringBuilder("invalid ").append(e.subject()).append(" configuration:");
        if (e.problems().size() == 1) {
            return sb.append(' ').append(e.problems().get(0)).toString();
        }
        for (String problem : e.problems()) {
            sb.append(System.lineSeparator()).append("  - ").append(problem);
        }
        return sb.toString();
    }
}
