package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.assertRpcError;
import static dev.keyline.crypto.service.grpc.LoopbackServer.headers;
import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static dev.keyline.crypto.service.grpc.LoopbackServer.newCorrelationId;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.RotateKeyRequest;
import dev.keyline.crypto.v1.SetMinDecryptionVersionRequest;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key lifecycle over the real transport: raising min_decryption_version (never lowering it), a
 * caller row edited in the database refused and audited, and the encryption-count limits wired
 * from the configuration.
 */
class GrpcServiceKeyLifecycleTest {
    @TempDir
    static Path dataDir;

    static LoopbackServer ls;

    @BeforeAll
    static void startServer() {
        ls = LoopbackServer.start(dataDir);
    }

    @AfterAll
    static void stopServer() {
        ls.close();
    }

    private static KeyId aesKey(String id, int rotations) {
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace("life").setId(id).setAlgorithm(KeyAlgorithm.AES_256_GCM).build());
        for (int i = 0; i < rotations; i++) {
            ls.adminStub().rotateKey(RotateKeyRequest.newBuilder().setKeyId(key("life", id)).build());
        }
        return key("life", id);
    }

    private static SetMinDecryptionVersionRequest raise(KeyId key, int min) {
        return SetMinDecryptionVersionRequest.newBuilder().setKeyId(key).setMinDecryptionVersion(min).build();
    }

    private static EncryptResponse encrypt(KeyId key, String text) {
        return ls.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(key).setPlaintext(ByteString.copyFromUtf8(text)).build());
    }

    private static DecryptRequest decryptOf(EncryptResponse e) {
        return DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv()).setTag(e.getTag())
                .build();
    }

    @Test
    void setMinDecryptionVersion_raised_retiresOlderVersions() {
        KeyId k = aesKey("raise", 0);
        EncryptResponse old = encrypt(k, "old");
        ls.adminStub().rotateKey(RotateKeyRequest.newBuilder().setKeyId(k).build());
        EncryptResponse current = encrypt(k, "new");

        KeyMetadata m = ls.adminStub().setMinDecryptionVersion(raise(k, 2));

        assertThat(m.getMinDecryptionVersion()).isEqualTo(2);
        String cid = newCorrelationId();
        assertRpcError(() -> ls.stub(headers(ls.adminToken, cid)).decrypt(decryptOf(old)), Status.Code.FAILED_PRECONDITION,
                "KEY_STATE_INVALID", cid);
        assertThat(ls.adminStub().decrypt(decryptOf(current)).getPlaintext().toStringUtf8()).isEqualTo("new");
    }

    @Test
    void setMinDecryptionVersion_lower_failsWithKeyStateInvalid() {
        KeyId k = aesKey("lower", 2);
        ls.adminStub().setMinDecryptionVersion(raise(k, 3));
        String cid = newCorrelationId();

        assertRpcError(() -> ls.stub(headers(ls.adminToken, cid)).setMinDecryptionVersion(raise(k, 2)), Status.Code.FAILED_PRECONDITION,
                "KEY_STATE_INVALID", cid);
        assertThat(ls.adminStub().getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(k).build()).getMinDecryptionVersion())
                .isEqualTo(3);
    }

    @Test
    void setMinDecryptionVersion_abovePrimaryOrZero_failsWithInvalidArgument() {
        KeyId k = aesKey("above", 1);
        for (int bad : new int[] {3, 0, -1}) {
            String cid = newCorrelationId();
            assertRpcError(() -> ls.stub(headers(ls.adminToken, cid)).setMinDecryptionVersion(raise(k, bad)), Status.Code.INVALID_ARGUMENT,
                    "INVALID_ARGUMENT", cid);
        }
    }

    @Test
    void setMinDecryptionVersion_withoutManageGrant_isPermissionDenied() {
        KeyId k = aesKey("grant", 1);
        String token = ls.server.access().issue("life-reader", Grant.parseList("life:read,encrypt,decrypt")).token();
        String cid = newCorrelationId();

        assertRpcError(() -> ls.stub(headers(token, cid)).setMinDecryptionVersion(raise(k, 2)), Status.Code.PERMISSION_DENIED,
                "PERMISSION_DENIED", cid);
    }

    @Test
    void callerGrants_editedInTheDatabase_callRefusedAndAudited() throws Exception {
        KeyId k = aesKey("tamper", 0);
        String token = ls.server.access().issue("life-tampered", Grant.parseList("other:read")).token();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("keys.db"));
                Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE callers SET grants = '*:*' WHERE name = 'life-tampered'");
        }
        String cid = newCorrelationId();

        assertRpcError(() -> ls.stub(headers(token, cid)).getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(k).build()),
                Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
        assertThat(ls.server.audit().flush(5, TimeUnit.SECONDS)).isTrue();
        List<String> integrity = Files.readAllLines(ls.server.config().auditLog(), StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains("RowIntegrityCheck")).toList();
        assertThat(integrity).anySatisfy(l -> assertThat(l).contains("callers:life-tampered").contains("PERMISSION_DENIED"));
        assertThat(integrity).allSatisfy(l -> assertThat(l).doesNotContain("token_hash").doesNotContain("*:*"));
    }

    @Test
    void encryptionLimits_fromTheConfiguration_rotateTheKey(@TempDir Path other) {
        try (LoopbackServer small = LoopbackServer.start(other, b -> b.encryptionLimits(2, 3, 1))) {
            small.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace("life").setId("small")
                    .setAlgorithm(KeyAlgorithm.AES_256_GCM).build());
            List<Integer> versions = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                versions.add(small.adminStub().encrypt(EncryptRequest.newBuilder().setKeyId(key("life", "small"))
                        .setPlaintext(ByteString.copyFromUtf8("x")).build()).getKeyId().getVersion());
            }
            // The 3rd encryption passes 2 and rotates; version 2 takes over.
            assertThat(versions).containsExactly(1, 1, 1, 2, 2);
        }
    }
}
