package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.assertRpcError;
import static dev.keyline.crypto.service.grpc.LoopbackServer.headers;
import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static dev.keyline.crypto.service.grpc.LoopbackServer.newCorrelationId;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.v1.BatchDecryptRequest;
import dev.keyline.crypto.v1.BatchEncryptRequest;
import dev.keyline.crypto.v1.BatchSignRequest;
import dev.keyline.crypto.v1.CryptoServiceGrpc.CryptoServiceBlockingStub;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateDataKeyRequest;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.VerifyRequest;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configurable limits (payload size, batch size) over a real loopback port: INVALID_ARGUMENT above, success at the limit. */
class GrpcServiceLimitsTest {
    private static final int MAX_PAYLOAD = 1024;
    private static final int MAX_BATCH = 3;

    @TempDir
    static Path dataDir;

    static LoopbackServer ls;
    static KeyId aes;
    static KeyId ec;

    @BeforeAll
    static void startServer() {
        ls = LoopbackServer.start(dataDir, b -> b.maxPayloadBytes(MAX_PAYLOAD).maxBatchItems(MAX_BATCH));
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace("lim").setId("aes").setAlgorithm(KeyAlgorithm.AES_256_GCM)
                .build());
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace("lim").setId("ec")
                .setAlgorithm(KeyAlgorithm.ECDSA_P256_SHA256).build());
        aes = key("lim", "aes");
        ec = key("lim", "ec");
    }

    @AfterAll
    static void stopServer() {
        ls.close();
    }

    private static ByteString zeros(int n) {
        return ByteString.copyFrom(new byte[n]);
    }

    private static CryptoServiceBlockingStub admin(String cid) {
        return ls.stub(headers(ls.adminToken, cid));
    }

    @Test
    void encrypt_plaintextAtTheLimit_succeeds() {
        EncryptResponse e = ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(zeros(MAX_PAYLOAD)).build());

        assertThat(ls.adminStub().decrypt(DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext())
                .setIv(e.getIv()).setTag(e.getTag()).build()).getPlaintext()).isEqualTo(zeros(MAX_PAYLOAD));
    }

    @Test
    void encrypt_plaintextOverTheLimit_failsInvalidArgument() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(zeros(MAX_PAYLOAD + 1)).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }

    @Test
    void everyPayloadField_overTheLimit_failsInvalidArgument() {
        String cid = newCorrelationId();
        CryptoServiceBlockingStub s = admin(cid);
        ByteString big = zeros(MAX_PAYLOAD + 1);

        assertRpcError(() -> s.encrypt(EncryptRequest.newBuilder().setKeyId(aes).setAad(big).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> s.decrypt(DecryptRequest.newBuilder().setKeyId(aes).setCiphertext(big).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> s.sign(SignRequest.newBuilder().setKeyId(ec).setData(big).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> s.verify(VerifyRequest.newBuilder().setKeyId(ec).setData(big).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> s.generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyId(aes).setAad(big).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }

    @Test
    void batchEncrypt_itemOverThePayloadLimit_failsOnlyThatItem() {
        var resp = ls.adminStub().batchEncrypt(BatchEncryptRequest.newBuilder()
                .addItems(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(zeros(MAX_PAYLOAD + 1)))
                .addItems(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(zeros(10))).build());

        assertThat(resp.getItems(0).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(resp.getItems(0).getStatus().getReason()).isEqualTo("INVALID_ARGUMENT");
        assertThat(resp.getItems(1).getStatus().getCode()).isEqualTo(Status.Code.OK.value());
    }

    @Test
    void batchEncrypt_atTheLimit_succeeds() {
        EncryptRequest item = EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(zeros(8)).build();

        var resp = ls.adminStub().batchEncrypt(BatchEncryptRequest.newBuilder().addAllItems(Collections.nCopies(MAX_BATCH, item)).build());

        assertThat(resp.getItemsList()).hasSize(MAX_BATCH)
                .allSatisfy(i -> assertThat(i.getStatus().getCode()).isEqualTo(Status.Code.OK.value()));
    }

    @Test
    void batches_overTheLimit_failInvalidArgument() {
        String cid = newCorrelationId();
        CryptoServiceBlockingStub s = admin(cid);
        int n = MAX_BATCH + 1;

        assertRpcError(() -> s.batchEncrypt(BatchEncryptRequest.newBuilder()
                .addAllItems(Collections.nCopies(n, EncryptRequest.newBuilder().setKeyId(aes).build())).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> s.batchDecrypt(BatchDecryptRequest.newBuilder()
                .addAllItems(Collections.nCopies(n, DecryptRequest.newBuilder().setKeyId(aes).build())).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> s.batchSign(BatchSignRequest.newBuilder()
                .addAllItems(Collections.nCopies(n, SignRequest.newBuilder().setKeyId(ec).build())).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }
}
