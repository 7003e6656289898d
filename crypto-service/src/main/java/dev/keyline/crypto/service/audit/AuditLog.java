package dev.keyline.crypto.service.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
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
        LineEncoder encoder = new LineEncoder();
        try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), 1 << 16)) {
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
                    byte[] line = encoder.encode(e, prevHash);
                    out.write(line);
                    out.write('\n');
                    prevHash = encoder.sha256Hex(line);
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

    /** The JSON line of {@code e} chained to {@code prev}, as the writer writes it. */
    static String toLine(AuditEvent e, String prev) {
        return new String(new LineEncoder().encode(e, prev), StandardCharsets.UTF_8);
    }

    static String sha256(String line) {
        return new LineEncoder().sha256Hex(line.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes audit lines: one JSON object per event with its fields in a fixed order, strings
     * escaped as JSON requires (quote, backslash, control characters; other characters as UTF-8),
     * then hashes them. The writer thread owns one and reuses its buffer and digest, since this
     * runs once per audited call.
     */
    static final class LineEncoder {
        private static final char[] HEX = "0123456789abcdef".toCharArray();
        /** For {@code \\u00XX} escapes, spelled as Jackson spells them. */
        private static final char[] UPPER_HEX = "0123456789ABCDEF".toCharArray();
        private final StringBuilder sb = new StringBuilder(512);
        private final MessageDigest sha;
        private long cachedSecond = Long.MIN_VALUE;
        private String cachedSecondText = "";

        LineEncoder() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from the JDK", e);
            }
        }

        byte[] encode(AuditEvent e, String prev) {
            sb.setLength(0);
            sb.append("{\"time\":\"");
            appendTime(e.time());
            sb.append('"');
            field("caller", e.caller());
            field("operation", e.operation());
            field("key_id", e.keyId());
            field("outcome", e.outcome());
            if (!e.reason().isEmpty()) {
                field("reason", e.reason());
            }
            if (!e.items().isEmpty()) {
                sb.append(",\"items\":[");
                for (int i = 0; i < e.items().size(); i++) {
                    AuditEvent.Item item = e.items().get(i);
                    sb.append(i == 0 ? "{" : ",{");
                    sb.append("\"key_id\":");
                    string(item.keyId());
                    field("outcome", item.outcome());
                    if (!item.reason().isEmpty()) {
                        field("reason", item.reason());
                    }
                    sb.append(",\"count\":").append(item.count()).append('}');
                }
                sb.append(']');
            }
            field("correlation_id", e.correlationId());
            field("trace_id", e.traceId());
            sb.append(",\"duration_us\":").append(e.durationMicros());
            field("prev", prev);
            sb.append('}');
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        String sha256Hex(byte[] line) {
            byte[] d = sha.digest(line);
            char[] out = new char[d.length * 2];
            for (int i = 0; i < d.length; i++) {
                out[2 * i] = HEX[(d[i] >> 4) & 0xf];
                out[2 * i + 1] = HEX[d[i] & 0xf];
            }
            return new String(out);
        }

        private void field(String name, String value) {
            sb.append(",\"").append(name).append("\":");
            string(value);
        }

        private void string(String value) {
            sb.append('"');
            int plain = 0;
            while (plain < value.length()) {
                char c = value.charAt(plain);
                if (c < 0x20 || c == '"' || c == '\\') {
                    break;
                }
                plain++;
            }
            // Most values need no escaping: copy them whole.
            sb.append(value, 0, plain);
            for (int i = plain; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            sb.append("\\u00").append(UPPER_HEX[c >> 4]).append(UPPER_HEX[c & 0xf]);
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }

        /** ISO-8601 as {@link Instant#toString} writes it (fraction in groups of three digits, as needed). */
        private void appendTime(java.time.Instant t) {
            long second = t.getEpochSecond();
            if (second != cachedSecond) {
                String whole = java.time.Instant.ofEpochSecond(second).toString();
                cachedSecondText = whole.substring(0, whole.length() - 1);
                cachedSecond = second;
            }
            sb.append(cachedSecondText);
            int nano = t.getNano();
            if (nano != 0) {
                sb.append('.');
                if (nano % 1_000_000 == 0) {
                    digits(nano / 1_000_000, 3);
                } else if (nano % 1_000 == 0) {
                    digits(nano / 1_000, 6);
                } else {
                    digits(nano, 9);
                }
            }
            sb.append('Z');
        }

        private void digits(int value, int width) {
            String v = Integer.toString(value);
            for (int i = v.length(); i < width; i++) {
                sb.append('0');
            }
            sb.append(v);
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
