package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.assertRpcError;
import static dev.keyline.crypto.service.grpc.LoopbackServer.headers;
import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static dev.keyline.crypto.service.grpc.LoopbackServer.newCorrelationId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.keyline.crypto.service.audit.AuditLog;
import dev.keyline.crypto.service.audit.AuditVerifier;
import dev.keyline.crypto.v1.BatchEncryptRequest;
import dev.keyline.crypto.v1.BatchEncryptResponse;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateDataKeyRequest;
import dev.keyline.crypto.v1.GenerateDataKeyResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What the service tells whom: server-side failures (a broken key store, a key that does not unwrap)
 * reach the caller as a generic message with the correlation id while the log keeps the details;
 * the unauthenticated /health names states only; the envelope's reserved AAD prefix cannot be used
 * to wrap a caller-chosen key; and a renamed audit log is noticed by a running service.
 */
class GrpcServiceHardeningTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What crypto-client's envelope wraps data keys with: "keyline-envelope-v1\0" + context. */
    private static final ByteString ENVELOPE_AAD = ByteString.copyFromUtf8("keyline-envelope-v1\0keyline-iam-decision-cache");

    @TempDir
    Path dataDir;

    private static KeyId generateAes(LoopbackServer ls, String namespace, String id) {
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace(namespace).setId(id)
                .setAlgorithm(KeyAlgorithm.AES_256_GCM).build());
        return key(namespace, id);
    }

    /** Collects what {@code type}'s logger logs while the returned appender is attached. */
    private static ListAppender<ILoggingEvent> capture(Class<?> type) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(type)).addAppender(appender);
        return appender;
    }

    private static void release(Class<?> type, ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(type)).detachAppender(appender);
    }

    /** The logged line (message and stack trace) that names {@code correlationId}. */
    private static String loggedFor(ListAppender<ILoggingEvent> appender, String correlationId) {
        return appender.list.stream().filter(e -> e.getFormattedMessage().contains(correlationId))
                .map(e -> e.getFormattedMessage() + "\n" + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy())))
                .findFirst().orElseThrow(() -> new AssertionError("nothing logged for " + correlationId + ": " + appender.list));
    }

    @Test
    void generateKey_whenTheKeyStoreFails_tellsTheCallerNoSqlAndLogsItUnderTheCorrelationId() throws Exception {
        ListAppender<ILoggingEvent> log = capture(GrpcErrors.class);
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            generateAes(ls, "app", "before");
            // Someone (or a bad migration) breaks the schema under the running service.
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("keys.db"));
                    Statement st = c.createStatement()) {
                st.execute("ALTER TABLE key_rings RENAME TO key_rings_moved");
            }
            String cid = newCorrelationId();

            assertRpcError(() -> ls.stub(headers(ls.adminToken, cid)).generateKey(GenerateKeyRequest.newBuilder().setNamespace("app")
                    .setId("after").setAlgorithm(KeyAlgorithm.AES_256_GCM).build()), Status.Code.INTERNAL, "INTERNAL", cid);
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> ls.stub(headers(ls.adminToken, cid))
                    .generateKey(GenerateKeyRequest.newBuilder().setNamespace("app").setId("after").setAlgorithm(KeyAlgorithm.AES_256_GCM)
                            .build()));

            String description = e.getStatus().getDescription();
            assertThat(description).doesNotContainIgnoringCase("sql").doesNotContain("key_rings").doesNotContain("no such table")
                    .doesNotContain(dataDir.toString()).contains("internal error", "correlation_id=" + cid);
            assertThat(loggedFor(log, cid)).contains("INTERNAL", "no such table", "key_rings");
        } finally {
            release(GrpcErrors.class, log);
        }
    }

    /**
     * A database writer zeroes the wrapped material while the service is down. The row's MAC (over
     * every column, under a subkey of the master key) no longer verifies, so the version is refused
     * before any unwrap is tried: KEY_STATE_INVALID, and the caller learns nothing of the master
     * key or its fingerprint.
     */
    @Test
    void encrypt_whenStoredMaterialWasTampered_isRefusedWithoutFingerprintOrMasterKeyInTheMessage() throws Exception {
        KeyId aes;
        String fingerprint;
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            aes = generateAes(ls, "app", "k");
            fingerprint = ls.server.masterKey().fingerprint();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("keys.db"));
                Statement st = c.createStatement()) {
            st.execute("UPDATE key_versions SET wrapped_material = zeroblob(length(wrapped_material))");
        }
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            String cid = newCorrelationId();
            EncryptRequest req = EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(ByteString.copyFromUtf8("x")).build();

            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> ls.stub(headers(ls.adminToken, cid)).encrypt(req));

            assertThat(e).isNotNull();
            assertThat(LoopbackServer.errorInfo(e).getReason()).isEqualTo("KEY_STATE_INVALID");
            assertThat(e.getStatus().getDescription()).doesNotContain(fingerprint).doesNotContainIgnoringCase("master key");
        }
    }

    @Test
    void health_overHttp_namesNeitherFingerprintNorPathsNorStoreUrl() throws Exception {
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ls.server.httpPort() + "/health")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).doesNotContain(ls.server.masterKey().fingerprint()).doesNotContain("fingerprint")
                    .doesNotContain(dataDir.toAbsolutePath().toString()).doesNotContain("jdbc:").doesNotContain("audit.log");
            JsonNode checks = JSON.readTree(r.body()).path("checks");
            assertThat(checks.path("master_key").path("detail").asText()).isEqualTo("loaded");
            assertThat(checks.path("key_store").path("detail").asText()).isEqualTo("reachable (sqlite)");
        }
    }

    @Test
    void encrypt_withTheEnvelopeAadPrefix_isRefusedSoNoCallerChosenDataKeyGetsWrapped() {
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            KeyId aes = generateAes(ls, "iam", "cache");
            String cid = newCorrelationId();
            // The attacker's own "data key", to be wrapped as if the service had generated it.
            EncryptRequest forged = EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(ByteString.copyFrom(new byte[32]))
                    .setAad(ENVELOPE_AAD).build();

            assertRpcError(() -> ls.stub(headers(ls.adminToken, cid)).encrypt(forged), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> ls.adminStub().encrypt(forged));
            assertThat(e.getStatus().getDescription()).contains("reserved", "GenerateDataKey");
            // Any later format version is reserved too; an AAD that merely contains the label is not.
            assertRpcError(() -> ls.stub(headers(ls.adminToken, cid)).encrypt(forged.toBuilder()
                    .setAad(ByteString.copyFromUtf8("keyline-envelope-v2\0x")).build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
            EncryptResponse fine = ls.adminStub().encrypt(forged.toBuilder().setAad(ByteString.copyFromUtf8("app:keyline-envelope-v1\0")).build());
            assertThat(fine.getCiphertext().size()).isEqualTo(32);
        }
    }

    @Test
    void batchEncrypt_withTheEnvelopeAadPrefix_refusesThatItemOnly() {
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            KeyId aes = generateAes(ls, "iam", "cache");
            EncryptRequest plain = EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(ByteString.copyFromUtf8("ok")).build();
            EncryptRequest forged = plain.toBuilder().setPlaintext(ByteString.copyFrom(new byte[32])).setAad(ENVELOPE_AAD).build();

            BatchEncryptResponse r = ls.adminStub().batchEncrypt(BatchEncryptRequest.newBuilder().addItems(plain).addItems(forged).build());

            assertThat(r.getItems(0).getStatus().getCode()).isZero();
            assertThat(r.getItems(1).getStatus().getReason()).isEqualTo("INVALID_ARGUMENT");
            assertThat(r.getItems(1).getStatus().getMessage()).contains("reserved");
            assertThat(r.getItems(1).hasResult()).isFalse();
        }
    }

    @Test
    void generateDataKey_withTheEnvelopeAad_stillWrapsAKeyTheServiceDrewThatDecryptUnwraps() {
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            KeyId aes = generateAes(ls, "iam", "cache");

            GenerateDataKeyResponse dk = ls.adminStub().generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyId(aes).setAad(ENVELOPE_AAD).build());

            var w = dk.getWrappedKey();
            var unwrapped = ls.adminStub().decrypt(DecryptRequest.newBuilder().setKeyId(w.getKeyId()).setCiphertext(w.getCiphertext())
                    .setIv(w.getIv()).setTag(w.getTag()).setAad(ENVELOPE_AAD).build());
            assertThat(unwrapped.getPlaintext()).isEqualTo(dk.getPlaintextKey());
        }
    }

    @Test
    void auditLog_renamedUnderARunningService_nextCallsLandInANewChainedFileAndHealthSaysSo() throws Exception {
        try (LoopbackServer ls = LoopbackServer.start(dataDir)) {
            KeyId aes = generateAes(ls, "app", "k");
            AuditLog audit = ls.server.audit();
            assertThat(audit.flush(5, TimeUnit.SECONDS)).isTrue();
            Path file = audit.file();
            Path rotated = file.resolveSibling("audit.log.1");
            Files.move(file, rotated);

            ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(ByteString.copyFromUtf8("after")).build());
            assertThat(audit.flush(5, TimeUnit.SECONDS)).isTrue();

            List<String> fresh = Files.readAllLines(file, StandardCharsets.UTF_8);
            assertThat(fresh).hasSize(2);
            assertThat(fresh.get(0)).contains("\"operation\":\"AuditLogReopened\"", "\"reason\":\"FILE_MISSING\"");
            assertThat(fresh.get(1)).contains("\"operation\":\"Encrypt\"");
            List<String> old = Files.readAllLines(rotated, StandardCharsets.UTF_8);
            assertThat(old.get(old.size() - 1)).contains("\"operation\":\"GenerateKey\"");
            AuditVerifier.Verification v = AuditVerifier.verify(file);
            assertThat(v.ok()).as(v.problem()).isTrue();
            assertThat(v.continues()).isEqualTo(sha256Hex(old.get(old.size() - 1)));
            assertThat(audit.reopenings()).isEqualTo(1);
            assertThat(ls.server.health().checks().get("audit_log").detail()).contains("reopened 1 time");
        }
    }

    private static String sha256Hex(String line) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
    }
}
