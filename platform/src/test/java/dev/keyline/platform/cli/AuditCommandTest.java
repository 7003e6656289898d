package dev.keyline.platform.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.platform.Cli;
import dev.keyline.platform.Cli.Result;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    @TempDir
    Path work;

    static CryptoServiceFixture service;
    static Map<String, String> env;

    @BeforeAll
    static void start() {
        service = CryptoServiceFixture.start(dir);
        env = service.env();
        Cli.run(env, "keys", "create", "audit/k", "--algorithm", "AES_256_GCM");
        for (int i = 0; i < 5; i++) {
            Cli.run(env, "encrypt", "audit/k", "--plaintext", "line " + i);
        }
        Cli.run(env, "keys", "show", "audit/missing");
        service.flushAudit();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void verify_theServicesLog_passesAndCountsItsLines() throws Exception {
        long lines = Files.readAllLines(service.server().config().auditLog()).size();

        Result r = Cli.run(env, "audit", "verify");

        assertThat(lines).isGreaterThanOrEqualTo(7);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLine()).endsWith(": " + lines + " lines checked, the hash chain is intact; checkpoint verified: "
                + "no line was removed before it");
    }

    @Test
    void verify_aCopyCutShortWithItsCheckpoint_failsOnTheCheckpoint() throws Exception {
        Path log = service.server().config().auditLog();
        Path checkpoint = dev.keyline.crypto.service.audit.AuditLog.checkpointOf(log);
        // The service attests new lines within a fraction of a second: wait until it covers them all.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        long n = Files.readAllLines(log).size();
        while (System.nanoTime() < deadline && !Files.readString(checkpoint).contains("\"lines\":" + n + ",")) {
            Thread.sleep(20);
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        Path copy = Files.write(work.resolve("audit.log"), lines.subList(0, lines.size() - 2), StandardCharsets.UTF_8);
        Files.copy(checkpoint, dev.keyline.crypto.service.audit.AuditLog.checkpointOf(copy));

        Result r = Cli.run(env, "audit", "verify", copy.toString());
        Result withoutCheckpoint = Cli.run(env, "audit", "verify", Files.write(work.resolve("other.log"), lines).toString());

        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("attests " + lines.size() + " lines", "removed from the end");
        assertThat(withoutCheckpoint.exitCode()).as(withoutCheckpoint.toString()).isEqualTo(1);
        assertThat(withoutCheckpoint.err()).contains("no checkpoint");
    }

    @Test
    void verify_aCopyWithOneEditedLine_failsAtTheLineAfterIt() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(service.server().config().auditLog(), StandardCharsets.UTF_8));
        assertThat(lines.get(2)).contains("\"caller\":\"admin\"");
        lines.set(2, lines.get(2).replace("\"caller\":\"admin\"", "\"caller\":\"mallory\""));
        Path copy = Files.write(work.resolve("audit.log"), lines, StandardCharsets.UTF_8);

        Result text = Cli.run(env, "audit", "verify", copy.toString());
        Result json = Cli.run(env, "audit", "verify", copy.toString(), "--json");

        assertThat(text.exitCode()).isEqualTo(1);
        assertThat(text.err()).startsWith("error: " + copy + ": the hash chain is broken at line 4: ")
                .contains("line 3 or 4 was changed");
        assertThat(text.out()).isEmpty();
        assertThat(json.exitCode()).isEqualTo(1);
        JsonNode m = JSON.readTree(json.out());
        assertThat(m.get("ok").asBoolean()).isFalse();
        assertThat(m.get("first_bad_line").asLong()).isEqualTo(4);
    }

    @Test
    void verify_aCopyWithALineRemoved_fails() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(service.server().config().auditLog(), StandardCharsets.UTF_8));
        lines.remove(1);
        Path copy = Files.write(work.resolve("audit.log"), lines, StandardCharsets.UTF_8);

        Result r = Cli.run(env, "audit", "verify", copy.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("broken at line 2");
    }

    @Test
    void verify_withDataDir_findsTheLogThere() {
        Result r = Cli.run(Map.of(), "audit", "verify", "--data-dir", dir.toString());

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLine()).startsWith(dir.resolve("audit.log").toString());
    }

    @Test
    void verify_aMissingFile_isAUsageError() {
        Result r = Cli.run(env, "audit", "verify", work.resolve("none.log").toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: no audit log at ");
    }

    @Test
    void verify_aLogReopenedAfterItsFileWasRenamed_passesAndNamesThePreviousFilesLastHash() throws Exception {
        Path log = work.resolve("rotating.log");
        try (dev.keyline.crypto.service.audit.AuditLog audit = dev.keyline.crypto.service.audit.AuditLog.open(log,
                service.server().masterKey().auditCheckpointMac())) {
            audit.record(new dev.keyline.crypto.service.audit.AuditEvent(java.time.Instant.now(), "svc", "Encrypt", "a/k/1", "ok", "", "c-1", "", 1));
            assertThat(audit.flush(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            Files.move(log, work.resolve("rotating.log.1"));
            audit.record(new dev.keyline.crypto.service.audit.AuditEvent(java.time.Instant.now(), "svc", "Encrypt", "a/k/1", "ok", "", "c-2", "", 1));
            assertThat(audit.flush(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        String previousLast = Files.readAllLines(work.resolve("rotating.log.1"), StandardCharsets.UTF_8).get(0);
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(previousLast.getBytes(StandardCharsets.UTF_8)));

        Result r = Cli.run(env, "audit", "verify", log.toString());
        Result json = Cli.run(env, "audit", "verify", log.toString(), "--json");

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLine()).contains("2 lines checked", "checkpoint verified", "continues a previous log file", hash);
        assertThat(JSON.readTree(json.out()).get("continues").asText()).isEqualTo(hash);
    }
}
