package dev.keyline.crypto.service.audit;

import dev.keyline.crypto.core.mac.HmacSha256;
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
 * it ({@code prev}), so removing or editing a line breaks the chain that {@link AuditVerifier#verify} checks.
 * This class writes; {@link AuditVerifier} checks.
 * Lines are written by one background thread; {@link #record} blocks only when the queue is
 * full, so a slow disk slows callers down rather than losing audit lines.
 *
 * <h2>Checkpoint</h2>
 * The chain alone cannot show that lines were cut off the end. So the writer also keeps a
 * checkpoint next to the log ({@code audit.log.checkpoint}): the number of lines written, the
 * SHA-256 of the last one, and an HMAC-SHA256 over both under a key derived from the master key,
 * rewritten atomically at most {@value #CHECKPOINT_INTERVAL_MS} ms after new lines (and on close).
 * {@link AuditVerifier#verify(Path, HmacSha256)} then refuses a log shorter than its checkpoint, or whose line
 * at that position is not the attested one; forging a checkpoint needs the master key. Lines
 * written in the last interval before a crash are not yet attested; lines lost earlier are found.
 * A service that opens a log its checkpoint does not match (or a non-empty log without one)
 * writes an {@code AuditLogCheck} error line into the chain before going on.
 *
 * <h2>Rotation and crashes</h2>
 * Before each batch of lines the writer checks that the path still names the file it has open
 * (same file key, not shorter than what it wrote). When the file was renamed (logrotate), deleted,
 * replaced or truncated (copytruncate), it does not go on writing into a file nobody sees: it
 * opens a new file at the path, whose first line is an {@code AuditLogReopened} event chained to
 * the last line of the old file, and attests the old file's final state in a checkpoint kept as
 * {@code audit.log.checkpoint.reopened-<millis>} (copy it beside the rotated file, named
 * {@code <rotated>.checkpoint}, to verify that file). {@link AuditVerifier#verify} accepts a first line that is
 * not chained to the genesis hash only when it is such an event, and reports which hash it
 * continues; {@link #reopenings()} tells health checks.
 *
 * <p>A crash can leave half a line at the end. {@link #open} cuts the file back to its last
 * complete line (that partial line was never attested by a checkpoint) and records an
 * {@code AuditLogRecovery} event saying how many bytes it dropped, so the chain stays intact.
 *
 * <p>Limits: the chain is unkeyed, so someone who can rewrite the files while the service is
 * stopped can replace log and checkpoint with an older, consistent pair, or delete both. Ship the
 * log to an append-only store when that is in the threat model.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private static final int QUEUE_CAPACITY = 65_536;
    /** The {@code prev} of a chain's first line. */
    static final String GENESIS = "0".repeat(64);
    private static final AuditEvent POISON = new AuditEvent(java.time.Instant.EPOCH, "", "", "", "", "", "", "", 0);
    static final long CHECKPOINT_INTERVAL_MS = 200;
    private static final String CHECKPOINT_SUFFIX = ".checkpoint";
    private static final String CHECKPOINT_LABEL = "keyline-audit-checkpoint-v1|";
    /** The operation of the first line of a file that continues the chain of a file renamed away. */
    public static final String REOPENED = "AuditLogReopened";
    /** The operation of the line recording that {@link #open} dropped a partial last line. */
    public static final String RECOVERED = "AuditLogRecovery";

    private final Path file;
    private final BlockingQueue<AuditEvent> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread writerThread;
    private final AtomicLong written = new AtomicLong();
    /** Events accepted by {@link #record}; {@link #written} catches up with it. */
    private final AtomicLong enqueued = new AtomicLong();
    private final Object progress = new Object();
    private volatile IOException failure;
    private String prevHash;
    /** Lines in the file; the writer thread's after start. */
    private long lines;
    /** Null: no checkpoint is kept. */
    private final HmacSha256 checkpointMac;
    /** The writer thread's: identity and length of the file it has open, to notice it being replaced. */
    private Object openFileKey;
    private long openFileBytes;
    private final AtomicLong reopenings = new AtomicLong();
    private volatile java.time.Instant lastReopened;

    private AuditLog(Path file, String prevHash, long lines, HmacSha256 checkpointMac) {
        this.file = file;
        this.prevHash = prevHash;
        this.lines = lines;
        this.checkpointMac = checkpointMac;
        this.writerThread = Thread.ofPlatform().name("keyline-audit").daemon(true).unstarted(this::run);
    }

    /** Opens {@code file} for appending, continuing its chain, without a checkpoint (tests, tools). */
    public static AuditLog open(Path file) {
        return open(file, null);
    }

    /**
     * Opens {@code file} for appending, continuing the chain of what it already holds, and keeps
     * its checkpoint authenticated with {@code checkpointMac} (see the class comment). A log that
     * no longer holds what its checkpoint attests (lines were cut off while the service was down)
     * is reported as an error and the old checkpoint kept beside it as evidence.
     */
    public static AuditLog open(Path file, HmacSha256 checkpointMac) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            // One pass over the log: its length, its last hash, and the hash at the line the
            // checkpoint attests (the chain itself is for `keyline audit verify` to check).
            AuditVerifier.Checkpoint cp = checkpointMac == null ? null : AuditVerifier.Checkpoint.read(checkpointOf(file));
            long dropped = dropPartialLastLine(file);
            if (dropped > 0) {
                LOG.error("the audit log {} ended in an incomplete line (a crash while writing?); dropped its {} bytes", file, dropped);
            }
            String prev = GENESIS;
            long count = 0;
            String attested = null;
            if (Files.exists(file)) {
                try (var it = Files.lines(file, StandardCharsets.UTF_8)) {
                    for (var lines = it.iterator(); lines.hasNext(); ) {
                        String l = lines.next();
                        if (!l.isEmpty()) {
                            prev = sha256(l);
                            count++;
                            if (cp != null && count == cp.lines()) {
                                attested = prev;
                            }
                        }
                    }
                }
            }
            String problem = null;
            if (checkpointMac != null && (cp != null || count > 0)) {
                problem = AuditVerifier.checkpointProblem(cp, checkpointMac, count, attested, checkpointOf(file));
                if (problem != null && cp != null) {
                    Path kept = checkpointOf(file).resolveSibling(checkpointOf(file).getFileName() + ".mismatch-" + System.currentTimeMillis());
                    Files.move(checkpointOf(file), kept);
                    LOG.error("the audit log {} does not hold what its checkpoint attests ({}); lines may have been removed. "
                            + "The old checkpoint is kept as {}; new lines continue the chain", file, problem, kept);
                } else if (problem != null) {
                    LOG.error("the audit log {} has lines but no checkpoint: it may have been cut short and its checkpoint deleted; "
                            + "new lines continue the chain", file);
                }
            }
            AuditLog log = new AuditLog(file, prev, count, checkpointMac);
            log.writerThread.start();
            if (dropped > 0) {
                log.record(new AuditEvent(java.time.Instant.now(), "keyline", RECOVERED, "", "error", "PARTIAL_LINE_TRUNCATED", "", "", 0,
                        List.of(), "dropped " + dropped + " bytes of an incomplete last line, left by a crash while writing"));
            }
            if (problem != null) {
                // The finding goes into the chain itself, before anything else is written and the new
                // checkpoint attests the log as it now is: a restart does not silently bless a cut.
                log.record(new AuditEvent(java.time.Instant.now(), "keyline", "AuditLogCheck", "", "error",
                        cp == null ? "CHECKPOINT_MISSING" : "CHECKPOINT_MISMATCH", "", "", 0));
            }
            return log;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit log " + file, e);
        }
    }

    /**
     * Cuts {@code file} back to its last complete line; returns how many bytes that dropped. A line
     * is complete once its newline is written, which is also all a checkpoint ever attests.
     */
    static long dropPartialLastLine(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long keep = 0;
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8192);
            for (long end = size; end > 0 && keep == 0; ) {
                int n = (int) Math.min(buf.capacity(), end);
                long from = end - n;
                buf.clear().limit(n);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, from + buf.position()) < 0) {
                        throw new java.io.EOFException("the audit log shrank while being read: " + file);
                    }
                }
                for (int i = n - 1; i >= 0; i--) {
                    if (buf.get(i) == '\n') {
                        keep = from + i + 1;
                        break;
                    }
                }
                end = from;
            }
            if (keep == size) {
                return 0;
            }
            ch.truncate(keep);
            ch.force(true);
            return size - keep;
        }
    }

    /** The checkpoint file of {@code log}. */
    public static Path checkpointOf(Path log) {
        return log.resolveSibling(log.getFileName() + CHECKPOINT_SUFFIX);
    }

    /** Queues one event; blocks while the queue is full. */
    public void record(AuditEvent event) {
        if (failure != null) {
            throw new IllegalStateException("the audit log writer has failed; refusing to run operations that cannot be audited");
        }
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

    /** How often the writer found its file renamed, deleted, replaced or truncated and opened a new one. */
    public long reopenings() {
        return reopenings.get();
    }

    /** When it last did, if ever. */
    public java.util.Optional<java.time.Instant> lastReopened() {
        return java.util.Optional.ofNullable(lastReopened);
    }

    private java.io.OutputStream openForAppend() throws IOException {
        java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), 1 << 16);
        var attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        openFileKey = attrs.fileKey();
        openFileBytes = attrs.size();
        return out;
    }

    /**
     * Why the path no longer names the file the writer has open (everything written is flushed
     * when this runs), or null when it still does.
     */
    private String replacedBecause() throws IOException {
        java.nio.file.attribute.BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return "FILE_MISSING";
        }
        if (!java.util.Objects.equals(attrs.fileKey(), openFileKey)) {
            return "FILE_REPLACED";
        }
        return attrs.size() < openFileBytes ? "FILE_TRUNCATED" : null;
    }

    private void run() {
        LineEncoder encoder = new LineEncoder();
        java.io.OutputStream out = null;
        try {
            out = openForAppend();
            List<AuditEvent> batch = new java.util.ArrayList<>(1024);
            long checkpointedLines = -1;
            // Monotonic time: a wall-clock step must not hold back the checkpoint.
            long lastCheckpoint = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(CHECKPOINT_INTERVAL_MS);
            long interval = TimeUnit.MILLISECONDS.toNanos(CHECKPOINT_INTERVAL_MS);
            while (true) {
                boolean due = checkpointMac != null && checkpointedLines != lines;
                AuditEvent first;
                if (due) {
                    long wait = lastCheckpoint + interval - System.nanoTime();
                    first = wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS);
                    if (System.nanoTime() - lastCheckpoint >= interval) {
                        out.flush();
                        writeCheckpoint(encoder);
                        checkpointedLines = lines;
                        lastCheckpoint = System.nanoTime();
                    }
                    if (first == null) {
                        continue;
                    }
                } else {
                    first = queue.take();
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                String replaced = replacedBecause();
                if (replaced != null) {
                    out = reopen(out, encoder, replaced);
                }
                boolean stop = false;
                int n = 0;
                for (AuditEvent e : batch) {
                    if (e == POISON) {
                        stop = true;
                        continue;
                    }
                    byte[] line = encoder.encode(e, prevHash);
                    out.write(line);
                    out.write('\n');
                    openFileBytes += line.length + 1;
                    prevHash = encoder.sha256Hex(line);
                    lines++;
                    n++;
                }
                out.flush();
                if (replaced != null && checkpointMac != null) {
                    // The checkpoint beside the path still attests the old file: replace it before
                    // anyone is told these lines are written.
                    writeCheckpoint(encoder);
                    checkpointedLines = lines;
                    lastCheckpoint = System.nanoTime();
                }
                // Counted as written only once handed to the OS, which is what flush() promises.
                written.addAndGet(n);
                if (stop && checkpointMac != null && checkpointedLines != lines) {
                    writeCheckpoint(encoder);
                }
                synchronized (progress) {
                    progress.notifyAll();
                }
                batch.clear();
                if (stop) {
                    out.close();
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new IOException("the audit writer was interrupted");
            closeAfterFailure(out);
        } catch (IOException | RuntimeException | Error e) {
            // Any failure stops the writer for good: record it so health says DOWN and record()
            // refuses at once instead of blocking callers on a queue nobody drains.
            failure = e instanceof IOException io ? io : new IOException("audit writer failed: " + e, e);
            synchronized (progress) {
                progress.notifyAll();
            }
            LOG.error("audit log writer failed; operations will report the audit check DOWN: {}", failure.getMessage());
            closeAfterFailure(out);
        }
    }

    private void closeAfterFailure(java.io.OutputStream out) {
        if (out != null) {
            try {
                out.close();
            } catch (IOException closing) {
                failure.addSuppressed(closing);
            }
        }
    }

    /**
     * Closes the old file, attests its final state beside the path, and opens a new file at the
     * path whose first line, chained to the old file's last, says why. Returns the new stream.
     */
    private java.io.OutputStream reopen(java.io.OutputStream old, LineEncoder encoder, String why) throws IOException {
        old.close();
        java.time.Instant now = java.time.Instant.now();
        long oldLines = lines;
        Path kept = null;
        if (checkpointMac != null) {
            kept = checkpointOf(file).resolveSibling(checkpointOf(file).getFileName() + ".reopened-" + now.toEpochMilli());
            writeCheckpoint(encoder, kept);
        }
        java.io.OutputStream out = openForAppend();
        lines = 0;
        AuditEvent event = new AuditEvent(now, "keyline", REOPENED, "", "error", why, "", "", 0, List.of(),
                "the audit log file was renamed, deleted, replaced or truncated while the service ran; this file continues the chain of"
                        + " the previous one, which ended after " + oldLines + " lines" + (kept == null ? "" : " (attested in " + kept.getFileName() + ")"));
        byte[] line = encoder.encode(event, prevHash);
        out.write(line);
        out.write('\n');
        openFileBytes += line.length + 1;
        prevHash = encoder.sha256Hex(line);
        lines++;
        reopenings.incrementAndGet();
        lastReopened = now;
        LOG.warn("the audit log {} was renamed, deleted, replaced or truncated ({}) while the service ran; opened a new file there whose"
                + " chain continues the old one (old file: {} lines)", file, why, oldLines);
        return out;
    }

    /** Writes the checkpoint for the lines written so far: to a temporary file, then renamed over the old one. */
    private void writeCheckpoint(LineEncoder encoder) throws IOException {
        writeCheckpoint(encoder, checkpointOf(file));
    }

    private void writeCheckpoint(LineEncoder encoder, Path target) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        String mac = encoder.hex(checkpointMac.compute(checkpointData(lines, prevHash)));
        Files.writeString(tmp, "{\"lines\":" + lines + ",\"last\":\"" + prevHash + "\",\"mac\":\"" + mac + "\"}\n",
                StandardCharsets.US_ASCII);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static byte[] checkpointData(long lines, String lastHash) {
        return (CHECKPOINT_LABEL + lines + "|" + lastHash).getBytes(StandardCharsets.US_ASCII);
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
            if (!e.traceState().isEmpty()) {
                field("tracestate", e.traceState());
            }
            sb.append(",\"duration_us\":").append(e.durationMicros());
            if (!e.detail().isEmpty()) {
                field("detail", e.detail());
            }
            field("prev", prev);
            sb.append('}');
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        String sha256Hex(byte[] line) {
            return hex(sha.digest(line));
        }

        String hex(byte[] d) {
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

    @Override
    public void close() {
        if (failure == null) {
            try {
                record(POISON);
            } catch (IllegalStateException writerFailed) {
                return;
            }
        }
        try {
            writerThread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
