package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.SignRequest;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What operators and tools see: grpc.health.v1 and reflection without a token, HTTP /health and
 * /metrics, and that nothing a caller sent in plaintext reaches /metrics or the audit log.
 */
class GrpcServiceHealthTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dataDir;

    static LoopbackServer ls;
    static KeyId aes;

    @BeforeAll
    static void startServer() {
        ls = LoopbackServer.start(dataDir);
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace("obs").setId("aes").setAlgorithm(KeyAlgorithm.AES_256_GCM)
                .build());
        aes = key("obs", "aes");
    }

    @AfterAll
    static void stopServer() {
        ls.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ls.server.httpPort() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthCheck_withoutToken_answersServing() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(ls.channel).withDeadlineAfter(10, TimeUnit.SECONDS);

        HealthCheckResponse overall = health.check(HealthCheckRequest.getDefaultInstance());
        HealthCheckResponse crypto = health.check(HealthCheckRequest.newBuilder().setService(CryptoServiceGrpc.SERVICE_NAME).build());

        assertThat(overall.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(crypto.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(catchThrowableOfType(StatusRuntimeException.class,
                () -> health.check(HealthCheckRequest.newBuilder().setService("no.such.Service").build())).getStatus().getCode())
                .isEqualTo(io.grpc.Status.Code.NOT_FOUND);
    }

    @Test
    void reflection_withoutToken_listsTheCryptoAndHealthServices() throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(ls.channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        answer.complete(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answer.completeExceptionally(new AssertionError("no answer"));
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList();
        requests.onCompleted();

        assertThat(services).contains("keyline.crypto.v1.CryptoService", "grpc.health.v1.Health");
    }

    @Test
    void httpHealth_healthyServer_answersUpWithEveryCheck() throws Exception {
        HttpResponse<String> r = get("/health");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("status").asText()).isEqualTo("UP");
        for (String check : List.of("key_store", "audit_log", "master_key")) {
            assertThat(body.path("checks").path(check).path("status").asText()).as(check).isEqualTo("UP");
            assertThat(body.path("checks").path(check).path("detail").asText()).as(check).isNotBlank();
        }
        assertThat(r.body()).doesNotContain(ls.adminToken);
    }

    @Test
    void metrics_afterCalls_countOperationsByOperationAndOutcome() throws Exception {
        ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(ByteString.copyFromUtf8("m")).build());
        catchThrowableOfType(StatusRuntimeException.class,
                () -> ls.adminStub().sign(SignRequest.newBuilder().setKeyId(aes).setData(ByteString.copyFromUtf8("m")).build()));

        catchThrowableOfType(StatusRuntimeException.class, () -> ls.stub(LoopbackServer.headers("kl_wrong", "m-1"))
                .decrypt(DecryptRequest.getDefaultInstance()));

        String metrics = get("/metrics").body();

        assertThat(metrics).containsPattern(
                "keyline_crypto_operations_total\\{[^}]*operation=\"Encrypt\"[^}]*outcome=\"ok\"[^}]*} [1-9]");
        assertThat(metrics).containsPattern(
                "keyline_crypto_operations_total\\{[^}]*operation=\"Decrypt\"[^}]*outcome=\"error\"[^}]*"
                        + "reason=\"UNAUTHENTICATED\"[^}]*} [1-9]");
        assertThat(metrics).containsPattern(
                "keyline_crypto_operations_total\\{[^}]*operation=\"Sign\"[^}]*outcome=\"error\"[^}]*"
                        + "reason=\"ALGORITHM_MISMATCH\"[^}]*} [1-9]");
        assertThat(metrics).contains("keyline_crypto_operation_seconds_bucket");
    }

    @Test
    void metricsAndAuditLog_afterCallsWithRecognizablePayloads_neverContainThem() throws Exception {
        String canary = "CANARY-" + UUID.randomUUID();
        byte[] plaintext = ("plaintext " + canary).getBytes(StandardCharsets.UTF_8);
        ByteString aad = ByteString.copyFromUtf8("aad " + canary);
        EncryptResponse e = ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(ByteString.copyFrom(plaintext))
                .setAad(aad).build());
        ls.adminStub().decrypt(DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv())
                .setTag(e.getTag()).setAad(aad).build());
        catchThrowableOfType(StatusRuntimeException.class, () -> ls.adminStub().decrypt(DecryptRequest.newBuilder().setKeyId(e.getKeyId())
                .setCiphertext(e.getCiphertext()).setIv(e.getIv()).setTag(e.getTag()).setAad(ByteString.copyFromUtf8(canary)).build()));
        assertThat(ls.server.audit().flush(5, TimeUnit.SECONDS)).isTrue();

        String metrics = get("/metrics").body();
        String audit = Files.readString(dataDir.resolve("audit.log"));

        assertThat(audit).contains("\"operation\":\"Decrypt\"");
        for (String leak : List.of(canary, Base64.getEncoder().encodeToString(plaintext), HexFormat.of().formatHex(plaintext),
                Base64.getEncoder().encodeToString(e.getCiphertext().toByteArray()), ls.adminToken)) {
            assertThat(metrics).doesNotContain(leak);
            assertThat(audit).doesNotContain(leak);
        }
    }
}
