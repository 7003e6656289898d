package dev.keyline.platform.run;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
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
 * stops new calls and lets in-flight ones finish; the JVM then exits with the signal's status
 * (130 for SIGINT, 143 for SIGTERM), as a shell expects of an interrupted program.
 */
abstract class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML settings (same names as the KEYLINE_* variables, nested and lower case; environment variables win).")
    Path configFile;

    /** Describes what runs, for the banner's first line. */
    abstract String title();

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Keyline keyline = (Keyline) spec.root().userObject();
        CryptoServiceConfig config;
        try {
            Settings settings = configFile == null ? Settings.of(keyline.env()) : Settings.of(keyline.env(), configFile);
            config = CryptoServiceConfig.fromEnvironment(settings).build();
            if (configFile != null) {
                settings.requireAllFileSettingsUsed(configFile);
            }
        } catch (CryptoException e) {
            err.println("error: " + listed(e.getMessage()));
            err.flush();
            return Keyline.USAGE;
        }
        CryptoServer server;
        try {
            server = CryptoServer.start(config);
        } catch (CryptoException e) {
            err.println("error: cannot start the crypto service: " + e.reason() + ": " + e.getMessage());
            err.flush();
            return e.reason() == CryptoException.Reason.INVALID_CONFIG ? Keyline.USAGE : Keyline.FAILED;
        } catch (UncheckedIOException e) {
            err.println("error: cannot start the crypto service: " + e.getMessage() + ": " + e.getCause().getMessage());
            err.flush();
            return Keyline.FAILED;
        }
        LOG.info("crypto service started: grpc={}:{} http={}:{} data_dir={}", config.grpcHost(), server.grpcPort(), config.httpHost(),
                server.httpPort(), config.dataDir().toAbsolutePath());
        new Banner(title(), config, server, keyline.env()).print(out);
        out.flush();

        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean closing = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("keyline-shutdown").unstarted(() -> {
            if (closing.compareAndSet(false, true)) {
                LOG.info("stopping: no new calls, waiting for in-flight calls to finish");
                server.close();
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

    /**
     * The configuration's problems one per line: the service reports them as
     * {@code invalid crypto service configuration: a; b}.
     */
    static String listed(String message) {
        String prefix = "invalid crypto service configuration: ";
        if (message == null || !message.startsWith(prefix)) {
            return String.valueOf(message);
        }
        StringBuilder sb = new StringBuilder("invalid configuration:");
        for (String problem : message.substring(prefix.length()).split("; ")) {
            sb.append(System.lineSeparator()).append("  - ").append(problem);
        }
        return sb.toString();
    }
}
