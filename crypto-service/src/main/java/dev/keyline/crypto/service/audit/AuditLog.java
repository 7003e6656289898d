package dev.keyline.crypto.service.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only JSON-lines audit log in which every line carries the SHA-256 of the line before
 * it ({@code prev}), so removing or editing a line breaks the chain that {@link #verify} checks.
 * Lines are written by one background thread; {@link #record} blocks only when the queue is
 * full, so a slow disk slows callers down rather than losing audit lines.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final int QUEUE_CAPACITY = 65_536;
    private static final String GENESIS = "0".repeat(64);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AuditEvent POISON = new AuditEvent(java.time.Instant.EPOCH, "", "", "", "", "", "", "", 0);

    private final Path file;
    private final BlockingQueue<AuditEvent> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread writerThread;
    private final AtomicLong written = new AtomicLong();
    /** Events accepted by {@link #record}; {@link #written} catches up with it. */
    private final AtomicLong enqueued = new AtomicLong();
    private final Object progress = new Object();
    private volatile IOException failure;
    private String prevHash;

    private AuditLog(Path file, String prevHash) {
        this.file = file;
        this.prevHash = prevHash;
        this.writerThread = Thread.ofPlatform().name("keyline-audit").daemon(true).unstarted(this::run);
    }

    /** Opens {@code file} for appending, continuing the chain of what it already holds. */
    public static AuditLog open(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            String prev = GENESIS;
            if (Files.exists(file)) {
                String last = lastLine(file);
                if (last != null) {
                    prev = sha256(last);
                }
            }
            AuditLog log = new AuditLog(file, prev);
            log.writerThread.start();
            return log;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit log " + file, e);
        }
    }

    private static String lastLine(Path file) throws IOException {
        String last = null;
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            for (var it = lines.iterator(); it.hasNext(); ) {
                String l = it.next();
                if (!l.isEmpty()) {
                    last = l;
                }
            }
        }
        return last;
    }

    /** Queues one event; blocks while the queue is full. */
    public void record(AuditEvent event) {
        try {
            queue.put(event);
            enqueued.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the audit log", e);
        }
    }

    /** Waits until everything recorded before this call is written (and flushed to the OS). */
    public boolean flush(long timeout, TimeUnit unit) {
        long target = enqueued.get();
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (progress) {
            while (written.get() < target && failure == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return written.get() >= target;
    }

    /** Whether the writer is alive and has not failed. */
    public boolean healthy() {
        return failure == null && writerThread.isAlive();
    }

    /** Lines accepted but not yet written. */
    public int backlog() {
        return queue.size();
    }

    /** Lines the queue holds before {@link #record} blocks. */
    public int capacity() {
        return QUEUE_CAPACITY;
    }

    public long written() {
        return written.get();
    }

    public Path file() {
        return file;
    }

    private void run() {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            List<AuditEvent> batch = new java.util.ArrayList<>(1024);
            while (true) {
                AuditEvent first = queue.take();
                batch.add(first);
                queue.drainTo(batch, 1023);
                boolean stop = false;
                for (AuditEvent e : batch) {
                    if (e == POISON) {
                        stop = true;
                        continue;
                    }
                    String line = toLine(e, prevHash);
                    out.write(line);
                    out.write('\n');
                    prevHash = sha256(line);
                    written.incrementAndGet();
                }
                out.flush();
                synchronized (progress) {
                    progress.notifyAll();
                }
                batch.clear();
                if (stop) {
                    return;
                }
            }
        } catch (IOException e) {
            failure = e;
            synchronized (progress) {
                progress.notifyAll();
            }
            LOG.error("audit log writer failed; operations will report the audit check DOWN: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String toLine(AuditEvent e, String prev) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", e.time().toString());
        m.put("caller", e.caller());
        m.put("operation", e.operation());
        m.put("key_id", e.keyId());
        m.put("outcome", e.outcome());
        if (!e.reason().isEmpty()) {
            m.put("reason", e.reason());
        }
        m.put("correlation_id", e.correlationId());
        m.put("trace_id", e.traceId());
        m.put("duration_us", e.durationMicros());
        m.put("prev", prev);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static String sha256(String line) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The result of checking a log's hash chain. */
    public record Verification(long lines, long firstBadLine, String problem) {
        public boolean ok() {
            return firstBadLine == 0;
        }
    }

    /** Checks that every line's {@code prev} is the SHA-256 of the line before it. */
    public static Verification verify(Path file) throws IOException {
        String prev = GENESIS;
        long n = 0;
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            for (var it = lines.iterator(); it.hasNext(); ) {
                String line = it.next();
                n++;
                if (line.isEmpty()) {
                    return new Verification(n, n, "empty line");
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    return new Verification(n, n, "not JSON");
                }
                if (!prev.equals(node.path("prev").asText())) {
                    return new Verification(n, n, "prev does not match the SHA-256 of the line before");
                }
                prev = sha256(line);
            }
        }
        return new Verification(n, 0, "");
    }

    @Override
    public void close() {
        record(POISON);
        try {
            writerThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
