package dev.keyline.iam.policy;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a policy directory and reloads the engine when its files change. Changes are debounced:
 * the reload runs once no event has arrived for {@code quietPeriod}, so an editor's
 * write-rename-delete sequence or a copy of several files gives one reload. A refused reload
 * leaves the running set in force (see {@link PolicyEngine#reload()}) and is logged; the watcher
 * keeps watching.
 *
 * <p>To change several files at once without the watcher ever seeing a mix, write them within the
 * quiet period, or make each intermediate state valid.
 */
public final class PolicyWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyWatcher.class);

    private final PolicyEngine engine;
    private final WatchService watch;
    private final Duration quietPeriod;
    private final Consumer<ReloadResult> listener;
    private final Thread thread;
    private volatile boolean closed;

    private PolicyWatcher(PolicyEngine engine, Path directory, Duration quietPeriod, Consumer<ReloadResult> listener) throws IOException {
        this.engine = engine;
        this.quietPeriod = quietPeriod;
        this.listener = listener;
        this.watch = FileSystems.getDefault().newWatchService();
        directory.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        this.thread = Thread.ofPlatform().name("iam-policy-watcher").daemon(true).unstarted(this::run);
    }

    /**
     * Starts watching {@code directory} for {@code engine}; {@code listener} sees the result of each
     * reload the watcher triggers (metrics, tests).
     */
    public static PolicyWatcher start(PolicyEngine engine, Path directory, Duration quietPeriod, Consumer<ReloadResult> listener) {
        try {
            PolicyWatcher w = new PolicyWatcher(Objects.requireNonNull(engine), directory, quietPeriod, Objects.requireNonNull(listener));
            w.thread.start();
            return w;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot watch the policy directory " + directory, e);
        }
    }

    private void run() {
        try {
            while (!closed) {
                WatchKey key = watch.take();
                key.pollEvents();
                key.reset();
                // Debounce: wait until the directory has been quiet for the whole period.
                while (true) {
                    WatchKey more = watch.poll(quietPeriod.toMillis(), TimeUnit.MILLISECONDS);
                    if (more == null) {
                        break;
                    }
                    more.pollEvents();
                    more.reset();
                }
                reloadOnce();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // Closed: stop watching.
        }
    }

    private void reloadOnce() {
        try {
            listener.accept(engine.reload());
        } catch (RuntimeException e) {
            // A bug or an I/O failure in one reload must not end the watching.
            LOG.atError().setCause(e).log("policy reload after a directory change failed");
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            watch.close();
        } catch (IOException e) {
            LOG.atWarn().log("closing the policy watcher: {}", e.toString());
        }
        thread.interrupt();
    }
}
