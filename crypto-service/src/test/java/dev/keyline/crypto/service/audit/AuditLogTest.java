package dev.keyline.crypto.service.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    /** What the lines looked like when Jackson wrote them from a map: the hand-written encoder must agree byte for byte. */
    private static String jacksonLine(AuditEvent e, String prev) throws Exception {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("time", e.time().toString());
        m.put("caller", e.caller());
        m.put("operation", e.operation());
        m.put("key_id", e.keyId());
        m.put("outcome", e.outcome());
        if (!e.reason().isEmpty()) {
            m.put("reason", e.reason());
        }
        if (!e.items().isEmpty()) {
            List<Object> items = new ArrayList<>();
            for (AuditEvent.Item i : e.items()) {
                java.util.Map<String, Object> im = new java.util.LinkedHashMap<>();
                im.put("key_id", i.keyId());
                im.put("outcome", i.outcome());
                if (!i.reason().isEmpty()) {
                    im.put("reason", i.reason());
                }
                im.put("count", i.count());
                items.add(im);
            }
            m.put("items", items);
        }
        m.put("correlation_id", e.correlationId());
        m.put("trace_id", e.traceId());
        if (!e.traceState().isEmpty()) {
            m.put("tracestate", e.traceState());
        }
        m.put("duration_us", e.durationMicros());
        if (!e.detail().isEmpty()) {
            m.put("detail", e.detail());
        }
        m.put("prev", prev);
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(m);
    }

    @Test
    void toLine_anyEvent_isTheSameJsonJacksonWritesAndParsesBack() {
        String alphabet = "aZ09 _-/:.\"\\\n\r\t\b\f\u0000\u0001\u001f\u007féü€😀";
        org.quicktheories.core.Gen<String> text = org.quicktheories.generators.Generate.intArrays(
                org.quicktheories.generators.Generate.range(0, 12), org.quicktheories.generators.Generate.range(0, alphabet.length() - 1))
                .map(idx -> {
                    StringBuilder b = new StringBuilder();
                    for (int k : idx) {
                        b.append(alphabet.charAt(k));
                    }
                    return b.toString();
                });
        org.quicktheories.QuickTheory.qt().withExamples(300)
                .forAll(org.quicktheories.generators.SourceDSL.longs().between(-100_000_000_000L, 300_000_000_000L),
                        org.quicktheories.generators.SourceDSL.integers().between(0, 999_999_999), text, text)
                .checkAssert((second, nano, a, b) -> {
                    int n = switch (nano % 4) {
                        case 0 -> 0;
                        case 1 -> (nano / 1_000_000) * 1_000_000;
                        case 2 -> (nano / 1_000) * 1_000;
                        default -> nano;
                    };
                    List<AuditEvent.Item> items = nano % 3 == 0 ? List.of()
                            : List.of(new AuditEvent.Item(a, "ok", "", nano % 100), new AuditEvent.Item(b, "error", a, 1));
                    AuditEvent e = new AuditEvent(Instant.ofEpochSecond(second, n), a, "Encrypt", b, "ok", nano % 2 == 0 ? "" : a,
                            b, a, nano, items, nano % 5 == 0 ? b : "", nano % 7 == 0 ? a : "");
                    String line = AuditLog.toLine(e, "0".repeat(64));
                    try {
                        // Compared as the UTF-8 bytes that reach the file (a lone surrogate becomes '?' either way).
                        String jackson = jacksonLine(e, "0".repeat(64));
                        assertThat(line).isEqualTo(new String(jackson.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                java.nio.charset.StandardCharsets.UTF_8));
                        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).path("operation").asText())
                                .isEqualTo("Encrypt");
                    } catch (Exception ex) {
                        throw new AssertionError(ex);
                    }
                });
    }
    @TempDir
    Path dir;

    private static AuditEvent event(int i) {
        return new AuditEvent(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i), "svc", "Encrypt", "app/k/" + (1 + i % 3), "ok",
                "", "corr-" + i, "", 12);
    }

    @Test
    void reopen_continuesTheChain() throws Exception {
        Path file = dir.resolve("audit.log");
        try (AuditLog log = AuditLog.open(file)) {
            for (int i = 0; i < 10; i++) {
                log.record(event(i));
            }
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }
        try (AuditLog log = AuditLog.open(file)) {
            for (int i = 10; i < 15; i++) {
                log.record(event(i));
            }
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }
        AuditVerifier.Verification v = AuditVerifier.verify(file);
        assertThat(v.ok()).as(v.problem()).isTrue();
        assertThat(v.lines()).isEqualTo(15);
    }

    @Test
    void verify_afterRemovingOrEditingALine_reportsThatLine() throws Exception {
        Path file = dir.resolve("audit.log");
        try (AuditLog log = AuditLog.open(file)) {
            for (int i = 0; i < 6; i++) {
                log.record(event(i));
            }
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }
        List<String> lines = Files.readAllLines(file);

        List<String> removed = new ArrayList<>(lines);
        removed.remove(2);
        Path r = dir.resolve("removed.log");
        Files.write(r, removed);
        assertThat(AuditVerifier.verify(r).firstBadLine()).isEqualTo(3);

        List<String> edited = new ArrayList<>(lines);
        edited.set(4, edited.get(4).replace("\"outcome\":\"ok\"", "\"outcome\":\"error\""));
        Path e = dir.resolve("edited.log");
        Files.write(e, edited);
        // The edited line itself still links to its predecessor; the next line no longer does.
        assertThat(AuditVerifier.verify(e).firstBadLine()).isEqualTo(6);
    }

    @Test
    void line_holdsEveryFieldAndTheHashOfThePreviousLine() throws Exception {
        Path file = dir.resolve("audit.log");
        try (AuditLog log = AuditLog.open(file)) {
            log.record(new AuditEvent(Instant.parse("2026-01-01T00:00:00Z"), "svc", "Decrypt", "app/k/2", "error",
                    "DECRYPTION_FAILED", "c-1", "4bf92f3577b34da6a3ce929d0e0e4736", 40));
            log.record(event(1));
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines.get(0)).contains("\"caller\":\"svc\"", "\"operation\":\"Decrypt\"", "\"key_id\":\"app/k/2\"",
                "\"outcome\":\"error\"", "\"reason\":\"DECRYPTION_FAILED\"", "\"correlation_id\":\"c-1\"",
                "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"", "\"duration_us\":40", "\"prev\":\"" + "0".repeat(64) + "\"");
        assertThat(lines.get(1)).contains("\"prev\":\"" + AuditLog.sha256(lines.get(0)) + "\"");
    }

    private static final dev.keyline.crypto.core.mac.HmacSha256 MAC =
            dev.keyline.crypto.core.mac.HmacSha256.of(dev.keyline.crypto.core.SecretBytes.wrap(new byte[32]));

    private Path writeCheckpointed(int n) throws Exception {
        Path file = dir.resolve("cp.log");
        try (AuditLog log = AuditLog.open(file, MAC)) {
            for (int i = 0; i < n; i++) {
                log.record(event(i));
            }
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }
        return file;
    }

    @Test
    void checkpoint_ofAnIntactLog_verifiesWithTheKey() throws Exception {
        Path file = writeCheckpointed(8);

        AuditVerifier.Verification v = AuditVerifier.verify(file, MAC);

        assertThat(v.ok()).as(v.problem()).isTrue();
        assertThat(v.checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.VERIFIED);
        assertThat(AuditVerifier.verify(file).checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.UNAUTHENTICATED);
    }

    @Test
    void checkpoint_afterTheLastLinesAreCutOff_failsVerification() throws Exception {
        Path file = writeCheckpointed(8);
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.subList(0, 6));

        AuditVerifier.Verification v = AuditVerifier.verify(file, MAC);

        // The chain of the six remaining lines is intact: only the checkpoint shows the loss.
        assertThat(v.ok()).isFalse();
        assertThat(v.checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.FAILED);
        assertThat(v.problem()).contains("attests 8 lines", "removed from the end");
        assertThat(AuditVerifier.verify(file).ok()).as("without the key the checkpoint is still compared").isFalse();
    }

    @Test
    void checkpoint_editedToMatchATruncatedLog_failsItsHmac() throws Exception {
        Path file = writeCheckpointed(8);
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.subList(0, 5));
        Path cp = AuditLog.checkpointOf(file);
        String forged = "{\"lines\":5,\"last\":\"" + AuditLog.sha256(lines.get(4)) + "\",\"mac\":\""
                + com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(Files.readString(cp)).path("mac").asText() + "\"}";
        Files.writeString(cp, forged);

        AuditVerifier.Verification v = AuditVerifier.verify(file, MAC);

        assertThat(v.ok()).isFalse();
        assertThat(v.problem()).contains("HMAC");
        assertThat(AuditVerifier.verify(file, dev.keyline.crypto.core.mac.HmacSha256.of(dev.keyline.crypto.core.SecretBytes.wrap(new byte[] {
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}))).ok())
                .as("another master key's MAC").isFalse();
    }

    /**
     * A rewritten log whose chain was recomputed (the chain is unkeyed) and that keeps its length:
     * only the checkpoint's hash of the attested line shows the edit.
     */
    @Test
    void checkpoint_ofALogRewrittenWithARecomputedChain_failsOnTheAttestedLine() throws Exception {
        Path file = writeCheckpointed(5);
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(2, lines.get(2).replace("\"outcome\":\"ok\"", "\"outcome\":\"error\""));
        String prev = "0".repeat(64);
        for (int i = 0; i < lines.size(); i++) {
            String relinked = lines.get(i).replaceFirst("\"prev\":\"[0-9a-f]{64}\"", "\"prev\":\"" + prev + "\"");
            lines.set(i, relinked);
            prev = AuditLog.sha256(relinked);
        }
        Files.write(file, lines);
        assertThat(AuditVerifier.verify(file).checkpoint()).as("the chain alone").isNotEqualTo(AuditVerifier.CheckpointStatus.NOT_CHECKED);

        AuditVerifier.Verification v = AuditVerifier.verify(file, MAC);

        assertThat(v.ok()).isFalse();
        assertThat(v.checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.FAILED);
        assertThat(v.problem()).contains("line 5 is not the line the checkpoint attests");
    }

    @Test
    void checkpoint_deleted_failsWithTheKeyAndIsNotedWithout() throws Exception {
        Path file = writeCheckpointed(3);
        Files.delete(AuditLog.checkpointOf(file));

        assertThat(AuditVerifier.verify(file, MAC).ok()).isFalse();
        assertThat(AuditVerifier.verify(file, MAC).problem()).contains("no checkpoint");
        assertThat(AuditVerifier.verify(file).ok()).isTrue();
        assertThat(AuditVerifier.verify(file).checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.MISSING);
    }

    @Test
    void checkpoint_whileIdle_catchesUpWithoutAClose() throws Exception {
        Path file = dir.resolve("idle.log");
        try (AuditLog log = AuditLog.open(file, MAC)) {
            for (int i = 0; i < 4; i++) {
                log.record(event(i));
            }
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < deadline && !Files.readString(AuditLog.checkpointOf(file)).contains("\"lines\":4,")) {
                Thread.sleep(20);
            }
            assertThat(Files.readString(AuditLog.checkpointOf(file))).contains("\"lines\":4,");
            assertThat(AuditVerifier.verify(file, MAC).checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.VERIFIED);
        }
    }

    @Test
    void reopen_ofALogCutShortWhileClosed_keepsTheOldCheckpointAsEvidenceAndGoesOn() throws Exception {
        Path file = writeCheckpointed(6);
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.subList(0, 4));

        try (AuditLog log = AuditLog.open(file, MAC)) {
            log.record(event(9));
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }

        try (var kept = Files.list(dir)) {
            assertThat(kept.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("cp.log.checkpoint.mismatch-"));
        }
        List<String> after = Files.readAllLines(file);
        assertThat(after).hasSize(6);
        assertThat(after.get(4)).as("the finding is in the chain before the next line")
                .contains("\"operation\":\"AuditLogCheck\"", "\"outcome\":\"error\"", "\"reason\":\"CHECKPOINT_MISMATCH\"");
        assertThat(AuditVerifier.verify(file, MAC).ok()).as("the new checkpoint attests the log as it now is").isTrue();
    }

    @Test
    void reopen_ofALogWhoseCheckpointWasDeleted_recordsThatInTheChain() throws Exception {
        Path file = writeCheckpointed(3);
        Files.delete(AuditLog.checkpointOf(file));

        try (AuditLog log = AuditLog.open(file, MAC)) {
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }

        List<String> after = Files.readAllLines(file);
        assertThat(after).hasSize(4);
        assertThat(after.get(3)).contains("\"operation\":\"AuditLogCheck\"", "\"reason\":\"CHECKPOINT_MISSING\"");
    }

    @Test
    void reopen_ofAnIntactLog_addsNoFinding() throws Exception {
        Path file = writeCheckpointed(3);

        try (AuditLog log = AuditLog.open(file, MAC)) {
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(Files.readAllLines(file)).hasSize(3);
        assertThat(AuditVerifier.verify(file, MAC).checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.VERIFIED);
    }

    @Test
    void open_afterACrashLeftHalfALine_dropsItRecordsTheDropAndTheChainVerifies() throws Exception {
        Path file = writeCheckpointed(5);
        byte[] half = "{\"time\":\"2026-01-01T00:00:09Z\",\"caller\":\"sv".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(file, half, java.nio.file.StandardOpenOption.APPEND);

        try (AuditLog log = AuditLog.open(file, MAC)) {
            log.record(event(6));
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(7);
        assertThat(lines.get(5)).contains("\"operation\":\"AuditLogRecovery\"", "\"reason\":\"PARTIAL_LINE_TRUNCATED\"",
                "\"detail\":\"dropped " + half.length + " bytes of an incomplete last line");
        assertThat(lines.get(6)).contains("\"correlation_id\":\"corr-6\"");
        AuditVerifier.Verification v = AuditVerifier.verify(file, MAC);
        assertThat(v.ok()).as(v.problem()).isTrue();
        assertThat(v.checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.VERIFIED);
    }

    @Test
    void open_ofAFileThatIsOnlyHalfALine_startsAFreshChainAfterRecordingIt() throws Exception {
        Path file = dir.resolve("half.log");
        Files.writeString(file, "{\"time\":");

        try (AuditLog log = AuditLog.open(file)) {
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains("\"reason\":\"PARTIAL_LINE_TRUNCATED\"", "dropped 8 bytes");
        assertThat(AuditVerifier.verify(file).ok()).isTrue();
    }

    @Test
    void write_afterTheFileIsRenamed_continuesTheChainInANewFileAtThePath() throws Exception {
        Path file = dir.resolve("audit.log");
        Path rotated = dir.resolve("audit.log.1");
        try (AuditLog log = AuditLog.open(file, MAC)) {
            for (int i = 0; i < 3; i++) {
                log.record(event(i));
            }
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
            Files.move(file, rotated);

            log.record(event(3));
            log.record(event(4));
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
            // Verified while the service runs: the checkpoint already attests the new file.
            AuditVerifier.Verification live = AuditVerifier.verify(file, MAC);
            assertThat(live.ok()).as(live.problem()).isTrue();
            assertThat(log.reopenings()).isEqualTo(1);
            assertThat(log.lastReopened()).isPresent();
        }

        List<String> old = Files.readAllLines(rotated);
        List<String> fresh = Files.readAllLines(file);
        assertThat(old).hasSize(3);
        assertThat(fresh).hasSize(3);
        assertThat(fresh.get(0)).contains("\"operation\":\"AuditLogReopened\"", "\"reason\":\"FILE_MISSING\"", "after 3 lines",
                "\"prev\":\"" + AuditLog.sha256(old.get(2)) + "\"");
        AuditVerifier.Verification v = AuditVerifier.verify(file, MAC);
        assertThat(v.ok()).as(v.problem()).isTrue();
        assertThat(v.checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.VERIFIED);
        assertThat(v.continues()).isEqualTo(AuditLog.sha256(old.get(2)));
        // The old file's final state was attested on the way out: beside the rotated file it verifies.
        Path kept;
        try (var s = Files.list(dir)) {
            kept = s.filter(p -> p.getFileName().toString().startsWith("audit.log.checkpoint.reopened-")).findFirst().orElseThrow();
        }
        Files.copy(kept, AuditLog.checkpointOf(rotated));
        assertThat(AuditVerifier.verify(rotated, MAC).checkpoint()).isEqualTo(AuditVerifier.CheckpointStatus.VERIFIED);
    }

    @Test
    void write_afterTheFileIsTruncatedInPlace_startsItWithAReopenLine() throws Exception {
        Path file = dir.resolve("audit.log");
        try (AuditLog log = AuditLog.open(file)) {
            log.record(event(0));
            log.record(event(1));
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
            String last = Files.readAllLines(file).get(1);
            // logrotate's copytruncate: same file, cut to nothing.
            try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }

            log.record(event(2));
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();

            List<String> lines = Files.readAllLines(file);
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).contains("\"reason\":\"FILE_TRUNCATED\"");
            AuditVerifier.Verification v = AuditVerifier.verify(file);
            assertThat(v.ok()).as(v.problem()).isTrue();
            assertThat(v.continues()).isEqualTo(AuditLog.sha256(last));
        }
    }

    @Test
    void verify_ofALogWhoseHeadWasCutOff_failsAtLineOne() throws Exception {
        Path file = dir.resolve("audit.log");
        try (AuditLog log = AuditLog.open(file)) {
            for (int i = 0; i < 4; i++) {
                log.record(event(i));
            }
            assertThat(log.flush(5, TimeUnit.SECONDS)).isTrue();
        }
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.subList(2, 4));

        // Only an AuditLogReopened line may start a file without the genesis hash.
        AuditVerifier.Verification v = AuditVerifier.verify(file);
        assertThat(v.firstBadLine()).isEqualTo(1);
        assertThat(v.continues()).isEmpty();
    }
}
