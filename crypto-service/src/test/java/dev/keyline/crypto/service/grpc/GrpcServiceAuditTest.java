package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.headers;
import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static dev.keyline.crypto.service.grpc.LoopbackServer.newCorrelationId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.audit.AuditVerifier;
import dev.keyline.crypto.v1.BatchDecryptRequest;
import dev.keyline.crypto.v1.CryptoServiceGrpc.CryptoServiceBlockingStub;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.SignRequest;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log as calls over the real transport leave it: one hash-chained JSON line per
 * operation with who, what, which key version, outcome, correlation and trace ids; and
 * {@link AuditVerifier#verify} catching an edited line.
 */
class GrpcServiceAuditTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;

    @TempDir
    Path scratch;

    static LoopbackServer ls;
    static KeyId aes;
    static KeyId ec;

    @BeforeAll
    static void startServer() {
        ls = LoopbackServer.start(dataDir);
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace("aud").setId("aes").setAlgorithm(KeyAlgorithm.AES_256_GCM)
                .build());
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace("aud").setId("ec")
                .setAlgorithm(KeyAlgorithm.ECDSA_P256_SHA256).build());
        aes = key("aud", "aes");
        ec = key("aud", "ec");
    }

    @AfterAll
    static void stopServer() {
        ls.close();
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static Path auditFile() {
        return dataDir.resolve("audit.log");
    }

    private static List<JsonNode> auditLines() throws Exception {
        assertThat(ls.server.audit().flush(5, TimeUnit.SECONDS)).as("audit flushed").isTrue();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(auditFile(), StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static List<JsonNode> linesWith(String correlationId) throws Exception {
        return auditLines().stream().filter(n -> n.path("correlation_id").asText().equals(correlationId)).toList();
    }

    private static ByteString bytes(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    @Test
    void auditLog_afterCalls_everyLineIsJsonWithTheRequiredFields() throws Exception {
        ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build());
        catchThrowableOfType(StatusRuntimeException.class, () -> ls.adminStub().encrypt(EncryptRequest.newBuilder()
                .setKeyId(key("aud", "missing")).build()));

        List<String> raw = Files.readAllLines(auditFile(), StandardCharsets.UTF_8);
        List<JsonNode> lines = auditLines();

        assertThat(raw).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("{").endsWith("}"));
        assertThat(lines).isNotEmpty().allSatisfy(n -> {
            assertThat(Instant.parse(n.path("time").asText())).isBefore(Instant.now().plusSeconds(1));
            for (String field : List.of("caller", "operation", "key_id", "outcome", "correlation_id", "trace_id")) {
                assertThat(n.has(field)).as("%s in %s", field, n).isTrue();
                assertThat(n.get(field).isTextual()).as("%s in %s", field, n).isTrue();
            }
            assertThat(n.path("operation").asText()).isNotEmpty();
            assertThat(n.path("outcome").asText()).isIn("ok", "error");
            assertThat(n.path("correlation_id").asText()).as("every gRPC call has a correlation id: %s", n).isNotEmpty();
            assertThat(n.path("duration_us").isIntegralNumber()).as("duration_us in %s", n).isTrue();
            assertThat(n.path("duration_us").asLong()).isNotNegative();
            assertThat(n.path("prev").asText()).matches("[0-9a-f]{64}");
            if (n.path("outcome").asText().equals("error")) {
                assertThat(n.path("reason").asText()).as("reason of %s", n).isNotEmpty();
            } else {
                assertThat(n.has("reason")).as("no reason on success: %s", n).isFalse();
            }
        });
        assertThat(lines.get(0).path("prev").asText()).isEqualTo("0".repeat(64));
    }

    @Test
    void auditLog_encryptWithCorrelationAndTraceparent_recordsConcreteVersionAndBothIds() throws Exception {
        String cid = newCorrelationId();
        String traceId = randomHex(16);
        Metadata h = headers(ls.adminToken, cid);
        h.put(LoopbackServer.TRACEPARENT, "00-" + traceId + "-" + randomHex(8) + "-01");

        EncryptResponse e = ls.stub(h).encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build());

        List<JsonNode> lines = linesWith(cid);
        assertThat(lines).hasSize(1);
        JsonNode n = lines.get(0);
        assertThat(n.path("operation").asText()).isEqualTo("Encrypt");
        assertThat(n.path("caller").asText()).isEqualTo("admin");
        assertThat(n.path("key_id").asText()).isEqualTo("aud/aes/" + e.getKeyId().getVersion()).isEqualTo("aud/aes/1");
        assertThat(n.path("outcome").asText()).isEqualTo("ok");
        assertThat(n.path("trace_id").asText()).isEqualTo(traceId);
    }

    @Test
    void auditLog_failedCalls_recordOutcomeErrorWithReasonAndCaller() throws Exception {
        String cid = newCorrelationId();
        String appToken = ls.server.access().issue("auditee", Grant.parseList("app:encrypt")).token();
        EncryptResponse e = ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build());
        CryptoServiceBlockingStub admin = ls.stub(headers(ls.adminToken, cid));

        catchThrowableOfType(StatusRuntimeException.class, () -> admin.decrypt(DecryptRequest.newBuilder().setKeyId(e.getKeyId())
                .setCiphertext(e.getCiphertext()).setIv(e.getIv()).setTag(e.getTag()).setAad(bytes("wrong")).build()));
        catchThrowableOfType(StatusRuntimeException.class, () -> admin.sign(SignRequest.newBuilder().setKeyId(aes).build()));
        catchThrowableOfType(StatusRuntimeException.class, () -> ls.stub(headers(appToken, cid)).encrypt(EncryptRequest.newBuilder()
                .setKeyId(aes).build()));

        List<JsonNode> lines = linesWith(cid);
        assertThat(lines).extracting(n -> n.path("operation").asText(), n -> n.path("caller").asText(), n -> n.path("key_id").asText(),
                n -> n.path("outcome").asText(), n -> n.path("reason").asText())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("Decrypt", "admin", "aud/aes/1", "error", "DECRYPTION_FAILED"),
                        org.assertj.core.groups.Tuple.tuple("Sign", "admin", "aud/aes/0", "error", "ALGORITHM_MISMATCH"),
                        org.assertj.core.groups.Tuple.tuple("Encrypt", "auditee", "aud/aes/0", "error", "PERMISSION_DENIED"));
    }

    /** Failed authentication is the audit event that matters most: it never reaches the service, yet is recorded. */
    @Test
    void auditLog_callWithWrongToken_isRecordedAsUnauthenticated() throws Exception {
        String cid = newCorrelationId();

        catchThrowableOfType(StatusRuntimeException.class, () -> ls.stub(headers("kl_guessed-token", cid)).encrypt(EncryptRequest
                .newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build()));

        List<JsonNode> lines = linesWith(cid);
        assertThat(lines).extracting(n -> n.path("operation").asText(), n -> n.path("caller").asText(), n -> n.path("outcome").asText(),
                n -> n.path("reason").asText())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("Encrypt", "", "error", "UNAUTHENTICATED"));
        assertThat(Files.readString(auditFile())).doesNotContain("kl_guessed-token");
    }

    /** A batch may touch many keys: each item is one audited operation with its own key and outcome. */
    @Test
    void auditLog_batchDecrypt_recordsEveryItemWithItsKeyAndOutcome() throws Exception {
        String cid = newCorrelationId();
        EncryptResponse e = ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build());
        DecryptRequest good = DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv())
                .setTag(e.getTag()).build();

        ls.stub(headers(ls.adminToken, cid)).batchDecrypt(BatchDecryptRequest.newBuilder()
                .addItems(good)
                .addItems(good.toBuilder().setAad(bytes("wrong")))
                .addItems(good.toBuilder().setKeyId(key("aud", "ghost", 1)))
                .build());

        List<JsonNode> lines = linesWith(cid);
        assertThat(lines).hasSize(1);
        JsonNode batch = lines.get(0);
        assertThat(batch.path("operation").asText()).isEqualTo("BatchDecrypt");
        assertThat(batch.path("outcome").asText()).isEqualTo("ok");
        List<JsonNode> items = new ArrayList<>();
        batch.path("items").forEach(items::add);
        assertThat(items).extracting(n -> n.path("key_id").asText(), n -> n.path("outcome").asText(), n -> n.path("reason").asText(),
                n -> n.path("count").asInt())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("aud/aes/1", "ok", "", 1),
                        org.assertj.core.groups.Tuple.tuple("aud/aes/1", "error", "DECRYPTION_FAILED", 1),
                        org.assertj.core.groups.Tuple.tuple("aud/ghost/1", "error", "KEY_NOT_FOUND", 1));
    }

    @Test
    void batchEncrypt_manyItemsOfOneKey_isOneLineCountingThem() throws Exception {
        String cid = newCorrelationId();
        EncryptRequest one = EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build();
        dev.keyline.crypto.v1.BatchEncryptRequest.Builder b = dev.keyline.crypto.v1.BatchEncryptRequest.newBuilder();
        for (int i = 0; i < 25; i++) {
            b.addItems(one);
        }

        ls.stub(headers(ls.adminToken, cid)).batchEncrypt(b.build());

        List<JsonNode> lines = linesWith(cid);
        assertThat(lines).hasSize(1);
        JsonNode items = lines.get(0).path("items");
        assertThat(items.size()).isEqualTo(1);
        assertThat(items.get(0).path("key_id").asText()).isEqualTo("aud/aes/1");
        assertThat(items.get(0).path("outcome").asText()).isEqualTo("ok");
        assertThat(items.get(0).path("count").asInt()).isEqualTo(25);
    }

    @Test
    void auditLog_afterCalls_verifiesIntact() throws Exception {
        ls.adminStub().sign(SignRequest.newBuilder().setKeyId(ec).setData(bytes("d")).build());
        auditLines();

        AuditVerifier.Verification v = AuditVerifier.verify(auditFile());

        assertThat(v.ok()).as("%s", v).isTrue();
        assertThat(v.lines()).isEqualTo(Files.readAllLines(auditFile()).size()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void auditLog_oneLineEditedInACopy_verifyReportsTheBreakAtThatLine() throws Exception {
        for (int i = 0; i < 3; i++) {
            ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build());
        }
        auditLines();
        List<String> lines = new ArrayList<>(Files.readAllLines(auditFile(), StandardCharsets.UTF_8));
        assertThat(lines).hasSizeGreaterThanOrEqualTo(4);
        int edited = 2; // 1-based; a line in the middle, so a later line vouches for it
        ObjectNode n = (ObjectNode) JSON.readTree(lines.get(edited - 1));
        n.put("outcome", n.path("outcome").asText().equals("ok") ? "error" : "ok");
        lines.set(edited - 1, JSON.writeValueAsString(n));
        Path copy = scratch.resolve("audit-copy.log");
        Files.write(copy, lines, StandardCharsets.UTF_8);

        AuditVerifier.Verification v = AuditVerifier.verify(copy);

        assertThat(v.ok()).isFalse();
        // The chain breaks where the next line's prev no longer matches the edited line.
        assertThat(v.firstBadLine()).as("%s", v).isBetween((long) edited, (long) edited + 1);
        assertThat(AuditVerifier.verify(auditFile()).ok()).as("the original is untouched").isTrue();
    }

    @Test
    void auditLog_lineRemovedFromACopy_verifyFails() throws Exception {
        ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("x")).build());
        auditLines();
        List<String> lines = new ArrayList<>(Files.readAllLines(auditFile(), StandardCharsets.UTF_8));
        lines.remove(1);
        Path copy = scratch.resolve("audit-removed.log");
        Files.write(copy, lines, StandardCharsets.UTF_8);

        AuditVerifier.Verification v = AuditVerifier.verify(copy);

        assertThat(v.ok()).isFalse();
        assertThat(v.firstBadLine()).isEqualTo(2);
    }
}
