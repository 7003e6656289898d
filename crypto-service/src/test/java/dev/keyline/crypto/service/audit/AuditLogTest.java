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
        AuditLog.Verification v = AuditLog.verify(file);
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
        assertThat(AuditLog.verify(r).firstBadLine()).isEqualTo(3);

        List<String> edited = new ArrayList<>(lines);
        edited.set(4, edited.get(4).replace("\"outcome\":\"ok\"", "\"outcome\":\"error\""));
        Path e = dir.resolve("edited.log");
        Files.write(e, edited);
        // The edited line itself still links to its predecessor; the next line no longer does.
        assertThat(AuditLog.verify(e).firstBadLine()).isEqualTo(6);
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
}
