package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.assertRpcError;
import static dev.keyline.crypto.service.grpc.LoopbackServer.errorInfo;
import static dev.keyline.crypto.service.grpc.LoopbackServer.headers;
import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static dev.keyline.crypto.service.grpc.LoopbackServer.newCorrelationId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.v1.BatchEncryptRequest;
import dev.keyline.crypto.v1.BatchEncryptResponse;
import dev.keyline.crypto.v1.CryptoServiceGrpc.CryptoServiceBlockingStub;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateDataKeyRequest;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.GetPublicKeyRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.ListKeysRequest;
import dev.keyline.crypto.v1.RotateKeyRequest;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.VerifyRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every error the service answers, over a real loopback port: the gRPC status, the
 * {@code google.rpc.ErrorInfo} reason (domain keyline.dev) and the caller's correlation id in its
 * metadata; authentication and authorization; and the {@code x-correlation-id} response header.
 */
class GrpcServiceErrorsTest {
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    @TempDir
    static Path dataDir;

    static LoopbackServer ls;
    static KeyId aes;
    static KeyId ec;
    static KeyId hmac;
    static KeyId appAes;
    static KeyId appEc;
    static KeyId otherAes;
    static String appToken;

    @BeforeAll
    static void startServer() {
        ls = LoopbackServer.start(dataDir);
        aes = generate("err", "aes", KeyAlgorithm.AES_256_GCM);
        ec = generate("err", "ec", KeyAlgorithm.ECDSA_P256_SHA256);
        hmac = generate("err", "hmac", KeyAlgorithm.HMAC_SHA256);
        appAes = generate("app", "aes", KeyAlgorithm.AES_256_GCM);
        appEc = generate("app", "ec", KeyAlgorithm.ECDSA_P256_SHA256);
        otherAes = generate("other", "aes", KeyAlgorithm.AES_256_GCM);
        appToken = ls.server.access().issue("app", Grant.parseList("app:encrypt,decrypt")).token();
    }

    @AfterAll
    static void stopServer() {
        ls.close();
    }

    private static KeyId generate(String ns, String id, KeyAlgorithm a) {
        ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace(ns).setId(id).setAlgorithm(a).build());
        return key(ns, id);
    }

    /** An admin stub that sends {@code cid} as its correlation id. */
    private static CryptoServiceBlockingStub admin(String cid) {
        return ls.stub(headers(ls.adminToken, cid));
    }

    private static ByteString bytes(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    private static EncryptRequest encryptRequest(KeyId id) {
        return EncryptRequest.newBuilder().setKeyId(id).setPlaintext(bytes("secret")).setAad(bytes("aad")).build();
    }

    // ---- NOT_FOUND / KEY_NOT_FOUND -------------------------------------------------------------

    @Test
    void encrypt_unknownKey_failsNotFoundKeyNotFound() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).encrypt(encryptRequest(key("err", "nope"))), Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
    }

    @Test
    void everyKeyedRpc_unknownKey_failsNotFoundKeyNotFound() {
        String cid = newCorrelationId();
        CryptoServiceBlockingStub s = admin(cid);
        KeyId missing = key("err", "missing");

        assertRpcError(() -> s.decrypt(DecryptRequest.newBuilder().setKeyId(missing).build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> s.sign(SignRequest.newBuilder().setKeyId(missing).build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> s.verify(VerifyRequest.newBuilder().setKeyId(missing).build()), Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> s.rotateKey(RotateKeyRequest.newBuilder().setKeyId(missing).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> s.getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(missing).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> s.getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(missing).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> s.generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyId(missing).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
    }

    @Test
    void decrypt_unknownVersion_failsNotFoundKeyNotFound() {
        EncryptResponse e = ls.adminStub().encrypt(encryptRequest(aes));
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).decrypt(DecryptRequest.newBuilder().setKeyId(aes.toBuilder().setVersion(7))
                .setCiphertext(e.getCiphertext()).setIv(e.getIv()).setTag(e.getTag()).setAad(bytes("aad")).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> admin(cid).getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(aes.toBuilder().setVersion(7)).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
        assertRpcError(() -> admin(cid).verify(VerifyRequest.newBuilder().setKeyId(ec.toBuilder().setVersion(2)).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
    }

    // ---- INVALID_ARGUMENT / DECRYPTION_FAILED --------------------------------------------------

    enum Tamper {
        CIPHERTEXT, IV, TAG, AAD, TRUNCATED_TAG, SHORT_IV;

        DecryptRequest apply(DecryptRequest r) {
            return switch (this) {
                case CIPHERTEXT -> r.toBuilder().setCiphertext(flip(r.getCiphertext())).build();
                case IV -> r.toBuilder().setIv(flip(r.getIv())).build();
                case TAG -> r.toBuilder().setTag(flip(r.getTag())).build();
                case AAD -> r.toBuilder().setAad(bytes("another context")).build();
                case TRUNCATED_TAG -> r.toBuilder().setTag(r.getTag().substring(0, 12)).build();
                case SHORT_IV -> r.toBuilder().setIv(r.getIv().substring(0, 8)).build();
            };
        }

        private static ByteString flip(ByteString b) {
            byte[] a = b.toByteArray();
            a[a.length / 2] ^= 0x20;
            return ByteString.copyFrom(a);
        }
    }

    @ParameterizedTest
    @EnumSource(Tamper.class)
    void decrypt_tamperedInput_failsInvalidArgumentDecryptionFailed(Tamper tamper) {
        EncryptResponse e = ls.adminStub().encrypt(encryptRequest(aes));
        DecryptRequest good = DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv())
                .setTag(e.getTag()).setAad(bytes("aad")).build();
        String cid = newCorrelationId();

        ErrorInfo info = assertRpcError(() -> admin(cid).decrypt(tamper.apply(good)),
                Status.Code.INVALID_ARGUMENT, "DECRYPTION_FAILED", cid);

        assertThat(ls.adminStub().decrypt(good).getPlaintext().toStringUtf8()).as("control").isEqualTo("secret");
        assertThat(info.getMetadataMap()).doesNotContainValue("secret");
    }

    /**
     * AAD_MISMATCH is never raised by Decrypt: AES-GCM authenticates the AAD and the ciphertext
     * with one tag, so a wrong AAD and a changed tag are the same failure. Telling them apart
     * would need an AAD digest in the ciphertext (an offline guessing oracle for low-entropy AADs
     * such as subject ids) and would tell an attacker which part they changed. Like AWS KMS
     * (InvalidCiphertextException for a wrong encryption context) and Tink, both answer the same.
     */
    @Test
    void decrypt_withWrongAad_failsExactlyAsATamperedTag_neverAadMismatch() {
        EncryptResponse e = ls.adminStub().encrypt(encryptRequest(aes));
        DecryptRequest good = DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv())
                .setTag(e.getTag()).setAad(bytes("aad")).build();
        String cid = newCorrelationId();

        StatusRuntimeException wrongAad = catchThrowableOfType(StatusRuntimeException.class,
                () -> admin(cid).decrypt(Tamper.AAD.apply(good)));
        StatusRuntimeException tamperedTag = catchThrowableOfType(StatusRuntimeException.class,
                () -> admin(cid).decrypt(Tamper.TAG.apply(good)));

        assertThat(errorInfo(wrongAad).getReason()).isEqualTo("DECRYPTION_FAILED").isNotEqualTo("AAD_MISMATCH");
        assertThat(wrongAad.getStatus().getCode()).isEqualTo(tamperedTag.getStatus().getCode());
        assertThat(wrongAad.getStatus().getDescription()).isEqualTo(tamperedTag.getStatus().getDescription());
        assertThat(errorInfo(wrongAad).getMetadataMap()).isEqualTo(errorInfo(tamperedTag).getMetadataMap());
    }

    // ---- FAILED_PRECONDITION / ALGORITHM_MISMATCH, KEY_STATE_INVALID ------------------------------

    @Test
    void sign_withAesKey_failsFailedPreconditionAlgorithmMismatch() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).sign(SignRequest.newBuilder().setKeyId(aes).setData(bytes("d")).build()),
                Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
        assertRpcError(() -> admin(cid).verify(VerifyRequest.newBuilder().setKeyId(aes).setData(bytes("d")).setSignature(bytes("s"))
                .build()),
                Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
    }

    @Test
    void encrypt_withEcKey_failsFailedPreconditionAlgorithmMismatch() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).encrypt(encryptRequest(ec)), Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
        assertRpcError(() -> admin(cid).encrypt(encryptRequest(hmac)), Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
        assertRpcError(() -> admin(cid).decrypt(DecryptRequest.newBuilder().setKeyId(ec).setIv(ByteString.copyFrom(new byte[12]))
                .setTag(ByteString.copyFrom(new byte[16])).build()), Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
        assertRpcError(() -> admin(cid).generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyId(ec).build()),
                Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
    }

    @Test
    void getPublicKey_symmetricKey_failsFailedPreconditionAlgorithmMismatch() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(aes).build()),
                Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
        assertRpcError(() -> admin(cid).getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(hmac).build()),
                Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH", cid);
    }

    @Test
    void sign_withNamedOlderEnabledVersion_signsWithThatVersion_untilItIsDisabledOrBelowMin() {
        KeyId signer = generate("err", "older-signer", KeyAlgorithm.ECDSA_P256_SHA256);
        ls.adminStub().rotateKey(RotateKeyRequest.newBuilder().setKeyId(signer).build());
        String cid = newCorrelationId();
        KeyId v1 = signer.toBuilder().setVersion(1).build();
        var signed = admin(cid).sign(dev.keyline.crypto.v1.SignRequest.newBuilder().setKeyId(v1)
                .setData(com.google.protobuf.ByteString.copyFromUtf8("jwt")).build());
        assertThat(signed.getKeyId().getVersion()).isEqualTo(1);
        assertThat(admin(cid).verify(dev.keyline.crypto.v1.VerifyRequest.newBuilder().setKeyId(v1)
                .setData(com.google.protobuf.ByteString.copyFromUtf8("jwt")).setSignature(signed.getSignature()).build()).getValid()).isTrue();
        assertThat(admin(cid).sign(dev.keyline.crypto.v1.SignRequest.newBuilder().setKeyId(signer)
                .setData(com.google.protobuf.ByteString.copyFromUtf8("jwt")).build()).getKeyId().getVersion()).as("default: primary").isEqualTo(2);

        ls.adminStub().setKeyState(dev.keyline.crypto.v1.SetKeyStateRequest.newBuilder().setKeyId(v1)
                .setState(dev.keyline.crypto.v1.KeyState.DISABLED).build());
        assertRpcError(() -> admin(cid).sign(dev.keyline.crypto.v1.SignRequest.newBuilder().setKeyId(v1)
                .setData(com.google.protobuf.ByteString.copyFromUtf8("jwt")).build()), Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", cid);
    }

    @Test
    void encrypt_withOlderVersionThanPrimary_failsFailedPreconditionKeyStateInvalid() {
        KeyId rotating = generate("err", "rotating", KeyAlgorithm.AES_256_GCM);
        ls.adminStub().rotateKey(RotateKeyRequest.newBuilder().setKeyId(rotating).build());
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).encrypt(encryptRequest(rotating.toBuilder().setVersion(1).build())),
                Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", cid);
        assertThat(admin(cid).encrypt(encryptRequest(rotating.toBuilder().setVersion(2).build())).getKeyId().getVersion()).isEqualTo(2);
    }

    // ---- INVALID_ARGUMENT ----------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"/aes", "err/", "ERR/aes", "err/AES", "err/a b", "-err/aes", "err/" + "x65"})
    void encrypt_malformedKeyId_failsInvalidArgument(String text) {
        String[] parts = text.split("/", -1);
        String id = parts[1].equals("x65") ? "x".repeat(65) : parts[1];
        KeyId malformed = KeyId.newBuilder().setNamespace(parts[0]).setId(id).build();
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).encrypt(encryptRequest(malformed)), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }

    @Test
    void decrypt_versionBeyondInt_failsInvalidArgument() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).decrypt(DecryptRequest.newBuilder().setKeyId(aes.toBuilder().setVersion(0xFFFF_FFFF)).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }

    @Test
    void encrypt_missingKeyId_failsInvalidArgument() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).encrypt(EncryptRequest.newBuilder().setPlaintext(bytes("x")).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }

    @Test
    void generateKey_malformedName_failsInvalidArgument() {
        String cid = newCorrelationId();
        UnaryOperator<GenerateKeyRequest.Builder> aesKey = b -> b.setAlgorithm(KeyAlgorithm.AES_256_GCM);

        assertRpcError(() -> admin(cid).generateKey(aesKey.apply(GenerateKeyRequest.newBuilder().setNamespace("").setId("k")).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> admin(cid).generateKey(aesKey.apply(GenerateKeyRequest.newBuilder().setNamespace("Err").setId("k")).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> admin(cid).generateKey(aesKey.apply(GenerateKeyRequest.newBuilder().setNamespace("err").setId("K")).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }

    @Test
    void generateKey_twice_failsInvalidArgumentAndKeepsTheFirstKey() {
        GenerateKeyRequest req = GenerateKeyRequest.newBuilder().setNamespace("err").setId("twice").setAlgorithm(KeyAlgorithm.AES_256_GCM)
                .build();
        ls.adminStub().generateKey(req);
        EncryptResponse before = ls.adminStub().encrypt(encryptRequest(key("err", "twice")));
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).generateKey(req), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> admin(cid).generateKey(req.toBuilder().setAlgorithm(KeyAlgorithm.ED25519).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertThat(ls.adminStub().decrypt(DecryptRequest.newBuilder().setKeyId(before.getKeyId()).setCiphertext(before.getCiphertext())
                .setIv(before.getIv()).setTag(before.getTag()).setAad(bytes("aad")).build()).getPlaintext().toStringUtf8())
                .as("the first key is untouched").isEqualTo("secret");
    }

    @Test
    void generateKey_unspecifiedAlgorithm_failsInvalidArgument() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).generateKey(GenerateKeyRequest.newBuilder().setNamespace("err").setId("no-alg").build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> admin(cid).generateKey(GenerateKeyRequest.newBuilder().setNamespace("err").setId("bad-alg")
                .setAlgorithmValue(99).build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> admin(cid).getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(key("err", "no-alg")).build()),
                Status.Code.NOT_FOUND, "KEY_NOT_FOUND", cid);
    }

    @Test
    void generateKey_rotationPeriodTooShort_failsInvalidArgument() {
        String cid = newCorrelationId();

        assertRpcError(() -> admin(cid).generateKey(GenerateKeyRequest.newBuilder().setNamespace("err").setId("short-period")
                .setAlgorithm(KeyAlgorithm.AES_256_GCM).setRotationPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(60))
                .build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> admin(cid).generateKey(GenerateKeyRequest.newBuilder().setNamespace("err").setId("negative-period")
                .setAlgorithm(KeyAlgorithm.AES_256_GCM).setRotationPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(-7200))
                .build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }

    // ---- UNAUTHENTICATED -------------------------------------------------------------------------

    @Test
    void encrypt_withoutToken_failsUnauthenticated() {
        String cid = newCorrelationId();

        assertRpcError(() -> ls.stub(headers("", cid)).encrypt(encryptRequest(aes)), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", cid);
    }

    @Test
    void encrypt_withWrongToken_failsUnauthenticated() {
        String cid = newCorrelationId();

        assertRpcError(() -> ls.stub(headers("kl_not-a-real-token", cid)).encrypt(encryptRequest(aes)),
                Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", cid);
        assertRpcError(() -> ls.stub(headers(ls.adminToken + "x", cid)).listKeys(ListKeysRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", cid);
    }

    @Test
    void encrypt_withNonBearerAuthorization_failsUnauthenticated() {
        String cid = newCorrelationId();
        Metadata md = headers("", cid);
        md.put(LoopbackServer.AUTHORIZATION, "Basic " + ls.adminToken);

        assertRpcError(() -> ls.stub(md).encrypt(encryptRequest(aes)), Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", cid);
    }

    @Test
    void call_afterCallerRevoked_failsUnauthenticated() {
        String token = ls.server.access().issue("short-lived", Grant.parseList("err:encrypt")).token();
        String cid = newCorrelationId();
        assertThat(ls.stub(headers(token, cid)).encrypt(encryptRequest(aes)).getKeyId().getVersion()).isEqualTo(1);

        ls.server.access().revoke("short-lived");

        assertRpcError(() -> ls.stub(headers(token, cid)).encrypt(encryptRequest(aes)),
                Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", cid);
    }

    // ---- PERMISSION_DENIED -------------------------------------------------------------------------

    @Test
    void restrictedCaller_ownNamespaceGrantedOperation_succeeds() {
        CryptoServiceBlockingStub app = ls.stub(headers(appToken, newCorrelationId()));

        EncryptResponse e = app.encrypt(encryptRequest(appAes));

        assertThat(app.decrypt(DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv())
                .setTag(e.getTag()).setAad(bytes("aad")).build()).getPlaintext().toStringUtf8()).isEqualTo("secret");
    }

    @Test
    void restrictedCaller_otherNamespace_failsPermissionDenied() {
        String cid = newCorrelationId();
        CryptoServiceBlockingStub app = ls.stub(headers(appToken, cid));

        assertRpcError(() -> app.encrypt(encryptRequest(otherAes)), Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
        assertRpcError(() -> app.decrypt(DecryptRequest.newBuilder().setKeyId(otherAes).build()),
                Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
        // A key that does not exist in a foreign namespace must not be told apart from one that does.
        assertRpcError(() -> app.encrypt(encryptRequest(key("other", "does-not-exist"))),
                Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
    }

    /** Items naming the same key reuse one check; a denied key stays denied however the items interleave. */
    @Test
    void restrictedCaller_batchMixingOwnAndOtherNamespaces_deniesEveryForeignItemOnly() {
        CryptoServiceBlockingStub app = ls.stub(headers(appToken, newCorrelationId()));
        EncryptRequest own = encryptRequest(appAes);
        EncryptRequest foreign = encryptRequest(otherAes);

        dev.keyline.crypto.v1.BatchEncryptResponse r = app.batchEncrypt(dev.keyline.crypto.v1.BatchEncryptRequest.newBuilder()
                .addItems(own).addItems(foreign).addItems(foreign).addItems(own).addItems(own).addItems(foreign).build());

        assertThat(r.getItemsList()).extracting(i -> i.getStatus().getReason())
                .containsExactly("", "PERMISSION_DENIED", "PERMISSION_DENIED", "", "", "PERMISSION_DENIED");
        assertThat(r.getItems(4).getResult().getKeyId().getNamespace()).isEqualTo("app");
        assertThat(r.getItems(4).getResult().getCiphertext()).isNotEmpty();
    }

    @Test
    void restrictedCaller_operationNotGranted_failsPermissionDenied() {
        String cid = newCorrelationId();
        CryptoServiceBlockingStub app = ls.stub(headers(appToken, cid));

        assertRpcError(() -> app.sign(SignRequest.newBuilder().setKeyId(appEc).setData(bytes("d")).build()),
                Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
        assertRpcError(() -> app.generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyId(appAes).build()),
                Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
        assertRpcError(() -> app.rotateKey(RotateKeyRequest.newBuilder().setKeyId(appAes).build()),
                Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
        assertRpcError(() -> app.generateKey(GenerateKeyRequest.newBuilder().setNamespace("app").setId("new")
                .setAlgorithm(KeyAlgorithm.AES_256_GCM).build()), Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
        assertRpcError(() -> app.getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(appAes).build()),
                Status.Code.PERMISSION_DENIED, "PERMISSION_DENIED", cid);
    }

    @Test
    void restrictedCaller_listKeys_seesNoKeysItCannotRead() {
        CryptoServiceBlockingStub app = ls.stub(headers(appToken, newCorrelationId()));

        assertThat(app.listKeys(ListKeysRequest.getDefaultInstance()).getKeysList()).isEmpty();
        assertThat(app.listKeys(ListKeysRequest.newBuilder().setNamespace("other").build()).getKeysList()).isEmpty();
    }

    @Test
    void restrictedCaller_batchInOtherNamespace_failsThatItemWithPermissionDenied() {
        CryptoServiceBlockingStub app = ls.stub(headers(appToken, newCorrelationId()));

        BatchEncryptResponse resp = app.batchEncrypt(BatchEncryptRequest.newBuilder().addItems(encryptRequest(appAes))
                .addItems(encryptRequest(otherAes)).build());

        assertThat(resp.getItems(0).getStatus().getCode()).isEqualTo(Status.Code.OK.value());
        assertThat(resp.getItems(1).getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED.value());
        assertThat(resp.getItems(1).getStatus().getReason()).isEqualTo("PERMISSION_DENIED");
        assertThat(resp.getItems(1).hasResult()).isFalse();
    }

    // ---- x-correlation-id ----------------------------------------------------------------------------

    private static Metadata[] call(Metadata headers) {
        AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        CryptoServiceBlockingStub stub = ls.stub(headers)
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers));
        stub.getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(aes).build());
        return new Metadata[] {responseHeaders.get(), trailers.get()};
    }

    @Test
    void responseHeaders_withCorrelationId_echoIt() {
        String cid = newCorrelationId();

        Metadata[] response = call(headers(ls.adminToken, cid));

        assertThat(response[0].getAll(LoopbackServer.CORRELATION_ID)).containsExactly(cid);
    }

    @Test
    void responseHeaders_withoutCorrelationId_carryAGeneratedOne() {
        Metadata[] first = call(headers(ls.adminToken, ""));
        Metadata[] second = call(headers(ls.adminToken, ""));

        String a = first[0].get(LoopbackServer.CORRELATION_ID);
        String b = second[0].get(LoopbackServer.CORRELATION_ID);
        assertThat(a).matches(UUID);
        assertThat(b).matches(UUID).isNotEqualTo(a);
    }

    @Test
    void responseHeaders_withUnsafeCorrelationId_replaceIt() {
        String unsafe = "bad id with spaces {\"x\":1}";

        Metadata[] response = call(headers(ls.adminToken, unsafe));

        assertThat(response[0].get(LoopbackServer.CORRELATION_ID)).matches(UUID);
    }

    @Test
    void error_withoutCorrelationId_carriesTheGeneratedOneInErrorInfoAndTrailers() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> ls.stub(headers(ls.adminToken, "")).encrypt(encryptRequest(key("err", "nope"))));

        String generated = errorInfo(e).getMetadataOrThrow("correlation_id");
        assertThat(generated).matches(UUID);
        assertThat(e.getTrailers().get(LoopbackServer.CORRELATION_ID)).isEqualTo(generated);
    }

    @Test
    void unauthenticated_withoutCorrelationId_stillCarriesAGeneratedOne() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> ls.stub(new Metadata()).encrypt(encryptRequest(aes)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(errorInfo(e).getMetadataOrThrow("correlation_id")).matches(UUID);
        assertThat(errorInfo(e).getReason()).isEqualTo("UNAUTHENTICATED");
    }
}
