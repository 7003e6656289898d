package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.assertRpcError;
import static dev.keyline.crypto.service.grpc.LoopbackServer.headers;
import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.CryptoServiceGrpc.CryptoServiceBlockingStub;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.RotateKeyRequest;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.SignResponse;
import dev.keyline.crypto.v1.VerifyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation never breaks old data (IAM seed property I7, token seed T7), through the RPCs of an
 * in-process server: after any sequence of 0..5 rotations per key interleaved with encryptions,
 * signatures and raises of min_decryption_version, every ciphertext and signature made with a
 * version at or above the minimum still decrypts / verifies, and those below it are refused with
 * KEY_STATE_INVALID.
 */
class GrpcServiceRotationPropertyTest {
    private static final int MAX_ROTATIONS = 5;
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    @TempDir
    static Path dataDir;

    static CryptoServer server;
    static ManagedChannel channel;
    static CryptoServiceBlockingStub stub;

    @BeforeAll
    static void startServer() {
        String name = "rotation-property-" + UUID.randomUUID();
        server = CryptoServer.start(CryptoServiceConfig.defaults(dataDir).grpcPort(0).httpPort(0).build(), new CryptoServer.InProcess(name),
                false, InstantSource.system());
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        stub = CryptoServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(
                headers(server.createdAdminToken().orElseThrow(), "rotation-property")));
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    /** One step of a run; {@code arg} picks the new minimum for RAISE_MIN. */
    enum Kind { ROTATE, ENCRYPT, SIGN, RAISE_MIN }

    record Step(Kind kind, boolean onAesKey, int arg) {
        static Step decode(int code) {
            return new Step(Kind.values()[code % 4], (code / 4) % 2 == 0, code / 8);
        }
    }

    record Encrypted(EncryptResponse response, byte[] plaintext, byte[] aad) { }

    record Signed(SignResponse response, byte[] data) { }

    @Test
    void rotations_anySequence_keepEveryArtifactAtOrAboveMinUsable() {
        qt().withExamples(100).withShrinkCycles(50)
                .forAll(lists().of(integers().between(0, 8 * 6 - 1).map(Step::decode)).ofSizeBetween(0, 24))
                .checkAssert(GrpcServiceRotationPropertyTest::run);
    }

    private static void run(List<Step> steps) {
        int n = UNIQUE.incrementAndGet();
        KeyId aes = create("aes-" + n, KeyAlgorithm.AES_256_GCM);
        KeyId ec = create("ec-" + n, KeyAlgorithm.ECDSA_P256_SHA256);
        int[] rotations = new int[2];
        List<Encrypted> ciphertexts = new ArrayList<>();
        List<Signed> signatures = new ArrayList<>();

        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            KeyId target = s.onAesKey() ? aes : ec;
            switch (s.kind()) {
                case ROTATE -> {
                    int k = s.onAesKey() ? 0 : 1;
                    if (rotations[k] < MAX_ROTATIONS) {
                        KeyMetadata m = stub.rotateKey(RotateKeyRequest.newBuilder().setKeyId(target).build());
                        rotations[k]++;
                        assertThat(m.getPrimaryVersion()).isEqualTo(rotations[k] + 1);
                    }
                }
                case ENCRYPT -> {
                    byte[] pt = ("plaintext " + n + "/" + i).getBytes(StandardCharsets.UTF_8);
                    byte[] aad = ("aad " + i).getBytes(StandardCharsets.UTF_8);
                    EncryptResponse e = stub.encrypt(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(ByteString.copyFrom(pt))
                            .setAad(ByteString.copyFrom(aad)).build());
                    assertThat(e.getKeyId().getVersion()).as("encrypt uses the primary").isEqualTo(rotations[0] + 1);
                    ciphertexts.add(new Encrypted(e, pt, aad));
                }
                case SIGN -> {
                    byte[] data = ("data " + n + "/" + i).getBytes(StandardCharsets.UTF_8);
                    SignResponse r = stub.sign(SignRequest.newBuilder().setKeyId(ec).setData(ByteString.copyFrom(data)).build());
                    assertThat(r.getKeyId().getVersion()).as("sign uses the primary").isEqualTo(rotations[1] + 1);
                    signatures.add(new Signed(r, data));
                }
                case RAISE_MIN -> {
                    KeyMetadata m = metadata(target);
                    int min = Math.max(m.getMinDecryptionVersion(), Math.min(1 + s.arg(), m.getPrimaryVersion()));
                    // No RPC raises the minimum (an admin action); the registry is the service's own entry point for it.
                    server.keys().setMinDecryptionVersion(
                            dev.keyline.crypto.core.keys.KeyId.of(target.getNamespace(), target.getId()), min);
                }
            }
        }

        int aesMin = metadata(aes).getMinDecryptionVersion();
        int ecMin = metadata(ec).getMinDecryptionVersion();
        for (Encrypted c : ciphertexts) {
            EncryptResponse e = c.response();
            DecryptRequest req = DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv())
                    .setTag(e.getTag()).setAad(ByteString.copyFrom(c.aad())).build();
            if (e.getKeyId().getVersion() >= aesMin) {
                assertThat(stub.decrypt(req).getPlaintext().toByteArray()).as("decrypt %s (min %d)", e.getKeyId(), aesMin)
                        .isEqualTo(c.plaintext());
            } else {
                assertRpcError(() -> stub.decrypt(req), Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", "rotation-property");
            }
        }
        for (Signed s : signatures) {
            SignResponse r = s.response();
            VerifyRequest req = VerifyRequest.newBuilder().setKeyId(r.getKeyId()).setData(ByteString.copyFrom(s.data()))
                    .setSignature(r.getSignature()).build();
            if (r.getKeyId().getVersion() >= ecMin) {
                assertThat(stub.verify(req).getValid()).as("verify %s (min %d)", r.getKeyId(), ecMin).isTrue();
            } else {
                assertRpcError(() -> stub.verify(req), Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", "rotation-property");
            }
        }
    }

    private static KeyId create(String id, KeyAlgorithm algorithm) {
        stub.generateKey(GenerateKeyRequest.newBuilder().setNamespace("prop").setId(id).setAlgorithm(algorithm).build());
        return key("prop", id);
    }

    private static KeyMetadata metadata(KeyId id) {
        return stub.getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(id).build());
    }
}
