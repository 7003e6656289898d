package dev.keyline.crypto.service.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.mac.HmacSha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Checks an audit log written by {@link AuditLog}: the hash chain (every line's {@code prev} is
 * the SHA-256 of the line before), the continuation of a log renamed away, and the checkpoint that
 * attests how many lines the log held and which was last (authenticated under the master key when
 * its MAC is given). Reads files only; never writes.
 */
public final class AuditVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AuditVerifier() {
    }

    /** What {@link #verify} found of a log's checkpoint. */
    public enum CheckpointStatus {
        /** Present, authentic under the master key, and the log still holds what it attests. */
        VERIFIED,
        /** Present and matching, but there was no key to check its HMAC. */
        UNAUTHENTICATED,
        /** Absent, and no key was given to require it. */
        MISSING,
        /** The problem found is the checkpoint's: absent while required, forged, or not matching the log. */
        FAILED,
        /** The hash chain broke first. */
        NOT_CHECKED
    }

    /**
     * The result of checking a log.
     *
     * @param firstBadLine the first line that breaks the chain; {@code lines + 1} for a checkpoint
     *     problem (the problem field says which line it concerns); 0 when there is none
     * @param continues when the first line is an {@value AuditLog#REOPENED} event, the hash of the last line
     *     of the file it continues (that file was renamed away while the service ran); else empty
     */
    public record Verification(long lines, long firstBadLine, String problem, CheckpointStatus checkpoint, String continues) {
        /** A check of a log that starts a chain of its own ({@code continues} empty). */
        public Verification(long lines, long firstBadLine, String problem, CheckpointStatus checkpoint) {
            this(lines, firstBadLine, problem, checkpoint, "");
        }

        public boolean ok() {
            return firstBadLine == 0;
        }
    }

    /** Checks the chain, and the checkpoint where there is one, without the key to authenticate it. */
    public static Verification verify(Path file) throws IOException {
        return verify(file, null);
    }

    /**
     * Checks that every line's {@code prev} is the SHA-256 of the line before it, and that the log
     * still holds the lines its checkpoint attests. With {@code checkpointMac} (derived from the
     * master key that wrote the log) the checkpoint must exist and be authentic; without it, a
     * present checkpoint is still compared but cannot be trusted, and a missing one is noted.
     */
    public static Verification verify(Path file, HmacSha256 checkpointMac) throws IOException {
        String prev = AuditLog.GENESIS;
        long n = 0;
        Checkpoint cp = Checkpoint.read(AuditLog.checkpointOf(file));
        String attested = null;
        String continues = "";
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            for (var it = lines.iterator(); it.hasNext(); ) {
                String line = it.next();
                n++;
                if (n == 1 && !line.isEmpty()) {
                    // A file opened after its predecessor was renamed away starts with the chain's
                    // next hash, not genesis; only such an event may (see the class comment).
                    continues = continuation(line);
                    if (!continues.isEmpty()) {
                        prev = continues;
                    }
                }
                String broken = line.isEmpty() ? "empty line" : chainProblem(line, prev);
                if (broken != null) {
                    return new Verification(n, n, broken, CheckpointStatus.NOT_CHECKED);
                }
                prev = AuditLog.sha256(line);
                if (cp != null && n == cp.lines()) {
                    attested = prev;
                }
            }
        }
        if (cp == null && checkpointMac == null) {
            return new Verification(n, 0, "", CheckpointStatus.MISSING, continues);
        }
        String problem = checkpointProblem(cp, checkpointMac, n, attested, AuditLog.checkpointOf(file));
        if (problem != null) {
            return new Verification(n, n + 1, problem, CheckpointStatus.FAILED, continues);
        }
        return new Verification(n, 0, "", checkpointMac == null ? CheckpointStatus.UNAUTHENTICATED : CheckpointStatus.VERIFIED, continues);
    }

    /** The {@code prev} of {@code firstLine} when it is a {@value AuditLog#REOPENED} event not chained to genesis, else empty. */
    private static String continuation(String firstLine) {
        try {
            JsonNode n = JSON.readTree(firstLine);
            String prev = n.path("prev").asText("");
            return AuditLog.REOPENED.equals(n.path("operation").asText()) && "keyline".equals(n.path("caller").asText())
                    && prev.matches("[0-9a-f]{64}") && !prev.equals(AuditLog.GENESIS) ? prev : "";
        } catch (JsonProcessingException e) {
            return "";
        }
    }

    /** Null when {@code line} links to {@code prev}, else why it does not. */
    private static String chainProblem(String line, String prev) {
        try {
            return prev.equals(JSON.readTree(line).path("prev").asText()) ? null : "prev does not match the SHA-256 of the line before";
        } catch (JsonProcessingException e) {
            return "not JSON";
        }
    }

    /**
     * Null when a log of {@code lines} lines, whose line at the checkpoint's position hashes to
     * {@code attested}, is what checkpoint {@code cp} attests (authenticated with {@code mac} when
     * given); else what is wrong. A missing checkpoint ({@code cp} null) is a problem here: callers
     * that tolerate one do not ask.
     */
    static String checkpointProblem(Checkpoint cp, HmacSha256 mac, long lines, String attested, Path checkpointFile) {
        if (cp == null) {
            return "no checkpoint file " + checkpointFile.getFileName() + ": removal of the last lines cannot be ruled out";
        }
        if (!cp.wellFormed()) {
            return "the checkpoint file is malformed";
        }
        if (mac != null && !mac.verify(AuditLog.checkpointData(cp.lines(), cp.last()), HexFormat.of().parseHex(cp.mac()))) {
            return "the checkpoint's HMAC does not match (edited, or written under another master key)";
        }
        if (lines < cp.lines()) {
            return "the log ends at line " + lines + " but its checkpoint attests " + cp.lines() + " lines: lines were removed from the end";
        }
        if (!cp.last().equals(cp.lines() == 0 ? AuditLog.GENESIS : attested)) {
            return "line " + cp.lines() + " is not the line the checkpoint attests";
        }
        return null;
    }

    /** The checkpoint as read from its file; fields are empty when it is malformed. */
    record Checkpoint(long lines, String last, String mac) {
        boolean wellFormed() {
            return lines >= 0 && last.matches("[0-9a-f]{64}") && mac.matches("[0-9a-f]{64}");
        }

        static Checkpoint read(Path file) throws IOException {
            if (!Files.exists(file)) {
                return null;
            }
            try {
                JsonNode n = JSON.readTree(Files.readString(file, StandardCharsets.US_ASCII));
                return new Checkpoint(n.path("lines").canConvertToLong() ? n.path("lines").asLong(-1) : -1, n.path("last").asText(""),
                        n.path("mac").asText(""));
            } catch (IOException | RuntimeException e) {
                return new Checkpoint(-1, "", "");
            }
        }
    }
}
