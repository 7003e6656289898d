package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.assertRpcError;
import static dev.keyline.crypto.service.grpc.LoopbackServer.key;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.keyline.crypto.v1.BatchDecryptRequest;
import dev.keyline.crypto.v1.BatchDecryptResponse;
import dev.keyline.crypto.v1.BatchEncryptRequest;
import dev.keyline.crypto.v1.BatchEncryptResponse;
import dev.keyline.crypto.v1.BatchSignRequest;
import dev.keyline.crypto.v1.BatchSignResponse;
import dev.keyline.crypto.v1.CryptoServiceGrpc.CryptoServiceBlockingStub;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateDataKeyRequest;
import dev.keyline.crypto.v1.GenerateDataKeyResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.GetPublicKeyRequest;
import dev.keyline.crypto.v1.ItemStatus;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.KeyState;
import dev.keyline.crypto.v1.KeyVersionInfo;
import dev.keyline.crypto.v1.ListKeysRequest;
import dev.keyline.crypto.v1.PublicKey;
import dev.keyline.crypto.v1.RotateKeyRequest;
import dev.keyline.crypto.v1.SetKeyStateRequest;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.SignResponse;
import dev.keyline.crypto.v1.VerifyRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every RPC of keyline.crypto.v1.CryptoService on its happy path, over a real loopback port:
 * key generation for each algorithm, encryption, signatures, public keys, listing, rotation,
 * lifecycle, data keys and the batch forms (with per-item failures).
 */
class GrpcServiceRpcTest {
    private static final String NS = "rpc";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    @TempDir
    static Path dataDir;

    static LoopbackServer ls;
    /** One key per algorithm, generated once: RSA key generation is slow. Never rotated or disabled. */
    static final Map<KeyAlgorithm, KeyMetadata> GENERATED = new EnumMap<>(KeyAlgorithm.class);

    @BeforeAll
    static void startServer() {
        ls = LoopbackServer.start(dataDir);
        for (KeyAlgorithm a : algorithms()) {
            GENERATED.put(a, ls.adminStub().generateKey(GenerateKeyRequest.newBuilder().setNamespace(NS)
                    .setId("fixed-" + a.name().toLowerCase().replace('_', '-')).setAlgorithm(a).build()));
        }
    }

    @AfterAll
    static void stopServer() {
        ls.close();
    }

    static List<KeyAlgorithm> algorithms() {
        return Arrays.stream(KeyAlgorithm.values())
                .filter(a -> a != KeyAlgorithm.KEY_ALGORITHM_UNSPECIFIED && a != KeyAlgorithm.UNRECOGNIZED).toList();
    }

    private static CryptoServiceBlockingStub admin() {
        return ls.adminStub();
    }

    private static KeyId fixed(KeyAlgorithm a) {
        return GENERATED.get(a).getKeyId().toBuilder().setVersion(0).build();
    }

    /** A fresh key (unique name) for tests that rotate it or change its state. */
    private static KeyId freshKey(String prefix, KeyAlgorithm a) {
        String id = prefix + "-" + UNIQUE.incrementAndGet();
        admin().generateKey(GenerateKeyRequest.newBuilder().setNamespace(NS).setId(id).setAlgorithm(a).build());
        return key(NS, id);
    }

    private static ByteString bytes(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    private static EncryptResponse encrypt(KeyId id, String plaintext, String aad) {
        return admin().encrypt(EncryptRequest.newBuilder().setKeyId(id).setPlaintext(bytes(plaintext)).setAad(bytes(aad)).build());
    }

    private static DecryptRequest decryptRequest(EncryptResponse e, String aad) {
        return DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext()).setIv(e.getIv())
                .setTag(e.getTag()).setAad(bytes(aad)).build();
    }

    private static String decrypt(EncryptResponse e, String aad) {
        return admin().decrypt(decryptRequest(e, aad)).getPlaintext().toStringUtf8();
    }

    private static KeyMetadata setState(KeyId id, KeyState state) {
        return admin().setKeyState(SetKeyStateRequest.newBuilder().setKeyId(id).setState(state).build());
    }

    private static boolean verify(KeyId id, ByteString data, ByteString signature) {
        return admin().verify(VerifyRequest.newBuilder().setKeyId(id).setData(data).setSignature(signature).build()).getValid();
    }

    // ---- GenerateKey, GetKeyMetadata, ListKeys -------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = {"KEY_ALGORITHM_UNSPECIFIED", "UNRECOGNIZED"}, mode = EnumSource.Mode.EXCLUDE)
    void generateKey_eachAlgorithm_returnsEnabledKeyWithVersionOne(KeyAlgorithm algorithm) {
        KeyMetadata m = GENERATED.get(algorithm);

        assertThat(m.getKeyId()).isEqualTo(key(NS, "fixed-" + algorithm.name().toLowerCase().replace('_', '-'), 1));
        assertThat(m.getAlgorithm()).isEqualTo(algorithm);
        assertThat(m.getState()).isEqualTo(KeyState.ENABLED);
        assertThat(m.getPrimaryVersion()).isEqualTo(1);
        assertThat(m.getMinDecryptionVersion()).isEqualTo(1);
        assertThat(m.getVersionsList()).extracting(KeyVersionInfo::getVersion, KeyVersionInfo::getState)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, KeyState.ENABLED));
        assertThat(m.getCreatedAt().getSeconds()).isPositive();
        assertThat(m.hasDeletionAt()).isFalse();
    }

    @Test
    void getKeyMetadata_primaryAndConcreteVersion_answerTheSameKey() {
        KeyId id = fixed(KeyAlgorithm.ED25519);

        KeyMetadata byPrimary = admin().getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(id).build());
        KeyMetadata byVersion = admin().getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(id.toBuilder().setVersion(1)).build());

        assertThat(byPrimary).isEqualTo(GENERATED.get(KeyAlgorithm.ED25519));
        assertThat(byVersion).isEqualTo(byPrimary);
    }

    @Test
    void listKeys_namespace_returnsExactlyTheKeysOfThatNamespace() {
        String ns = "list-" + UNIQUE.incrementAndGet();
        for (String id : List.of("b", "a")) {
            admin().generateKey(GenerateKeyRequest.newBuilder().setNamespace(ns).setId(id).setAlgorithm(KeyAlgorithm.AES_256_GCM).build());
        }

        List<KeyMetadata> listed = admin().listKeys(ListKeysRequest.newBuilder().setNamespace(ns).build()).getKeysList();
        List<KeyMetadata> all = admin().listKeys(ListKeysRequest.getDefaultInstance()).getKeysList();

        assertThat(listed).extracting(m -> m.getKeyId().getId()).containsExactlyInAnyOrder("a", "b");
        assertThat(listed).allSatisfy(m -> {
            assertThat(m.getKeyId().getNamespace()).isEqualTo(ns);
            assertThat(m.getAlgorithm()).isEqualTo(KeyAlgorithm.AES_256_GCM);
        });
        assertThat(all).extracting(KeyMetadata::getKeyId).contains(key(ns, "a", 1), key(ns, "b", 1))
                .containsAll(GENERATED.values().stream().map(KeyMetadata::getKeyId).toList());
    }

    // ---- Encrypt / Decrypt ---------------------------------------------------------------------

    @Test
    void encrypt_withAad_roundTripsAndNamesConcreteVersion() {
        KeyId id = fixed(KeyAlgorithm.AES_256_GCM);

        EncryptResponse e = encrypt(id, "attack at dawn", "order-42");

        assertThat(e.getKeyId()).isEqualTo(id.toBuilder().setVersion(1).build());
        assertThat(e.getAlgorithm()).isEqualTo(KeyAlgorithm.AES_256_GCM);
        assertThat(e.getIv().size()).isEqualTo(12);
        assertThat(e.getTag().size()).isEqualTo(16);
        assertThat(e.getCiphertext().size()).isEqualTo("attack at dawn".length());
        assertThat(e.getCiphertext()).isNotEqualTo(bytes("attack at dawn"));
        assertThat(decrypt(e, "order-42")).isEqualTo("attack at dawn");
    }

    @Test
    void encrypt_samePlaintextTwice_usesFreshIvs() {
        KeyId id = fixed(KeyAlgorithm.AES_256_GCM);

        EncryptResponse a = encrypt(id, "same", "");
        EncryptResponse b = encrypt(id, "same", "");

        assertThat(a.getIv()).isNotEqualTo(b.getIv());
        assertThat(a.getCiphertext()).isNotEqualTo(b.getCiphertext());
    }

    @Test
    void encrypt_emptyPlaintextAndAad_roundTrips() {
        EncryptResponse e = encrypt(fixed(KeyAlgorithm.AES_256_GCM), "", "");

        assertThat(e.getCiphertext().isEmpty()).isTrue();
        assertThat(decrypt(e, "")).isEmpty();
    }

    // ---- Sign / Verify / GetPublicKey ------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = {"ECDSA_P256_SHA256", "ECDSA_P384_SHA384", "ED25519", "RSA_PSS_2048_SHA256",
            "RSA_PKCS1_2048_SHA256", "HMAC_SHA256"})
    void sign_eachSigningAlgorithm_verifiesAndNamesConcreteVersion(KeyAlgorithm algorithm) {
        KeyId id = fixed(algorithm);
        ByteString data = bytes("the payload to sign");

        SignResponse s = admin().sign(SignRequest.newBuilder().setKeyId(id).setData(data).build());

        assertThat(s.getKeyId()).isEqualTo(id.toBuilder().setVersion(1).build());
        assertThat(s.getAlgorithm()).isEqualTo(algorithm);
        assertThat(verify(s.getKeyId(), data, s.getSignature())).isTrue();
        assertThat(verify(id, data, s.getSignature())).as("version 0 = the primary").isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = {"ECDSA_P256_SHA256", "ECDSA_P384_SHA384", "ED25519", "RSA_PSS_2048_SHA256",
            "RSA_PKCS1_2048_SHA256", "HMAC_SHA256"})
    void verify_wrongSignature_answersFalseNotError(KeyAlgorithm algorithm) {
        KeyId id = fixed(algorithm);
        ByteString data = bytes("signed data");
        byte[] sig = admin().sign(SignRequest.newBuilder().setKeyId(id).setData(data).build()).getSignature().toByteArray();
        byte[] flipped = sig.clone();
        flipped[flipped.length - 1] ^= 0x01;

        assertThat(verify(id, bytes("other data"), ByteString.copyFrom(sig))).as("other data").isFalse();
        assertThat(verify(id, data, ByteString.copyFrom(flipped))).as("flipped last bit").isFalse();
        assertThat(verify(id, data, ByteString.EMPTY)).as("empty signature").isFalse();
        assertThat(verify(id, data, bytes("definitely not a signature"))).as("garbage").isFalse();
        assertThat(verify(id, data, ByteString.copyFrom(Arrays.copyOf(sig, sig.length + 1)))).as("trailing byte").isFalse();
    }

    /** The signature the service makes checks out with the JDK's own verifier and the PEM it publishes. */
    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = {"ECDSA_P256_SHA256", "ECDSA_P384_SHA384", "ED25519", "RSA_PSS_2048_SHA256",
            "RSA_PKCS1_2048_SHA256"})
    void getPublicKey_eachAsymmetricAlgorithm_pemVerifiesSignaturesIndependently(KeyAlgorithm algorithm) throws Exception {
        KeyId id = fixed(algorithm);
        byte[] data = "independent check".getBytes(StandardCharsets.UTF_8);
        byte[] sig = admin().sign(SignRequest.newBuilder().setKeyId(id).setData(ByteString.copyFrom(data)).build())
                .getSignature().toByteArray();

        PublicKey pk = admin().getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(id).build());
        java.security.PublicKey jca = parsePem(pk.getPem(), keyType(algorithm));

        Signature verifier = switch (algorithm) {
            case ECDSA_P256_SHA256 -> Signature.getInstance("SHA256withECDSA");
            case ECDSA_P384_SHA384 -> Signature.getInstance("SHA384withECDSA");
            case ED25519 -> Signature.getInstance("Ed25519");
            case RSA_PKCS1_2048_SHA256 -> Signature.getInstance("SHA256withRSA");
            case RSA_PSS_2048_SHA256 -> {
                Signature s = Signature.getInstance("RSASSA-PSS");
                s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                yield s;
            }
            default -> throw new AssertionError(algorithm);
        };
        verifier.initVerify(jca);
        verifier.update(data);
        assertThat(verifier.verify(sig)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = {"ECDSA_P256_SHA256", "ECDSA_P384_SHA384", "ED25519", "RSA_PSS_2048_SHA256",
            "RSA_PKCS1_2048_SHA256"})
    void getPublicKey_eachAsymmetricAlgorithm_jwkDescribesTheSameKey(KeyAlgorithm algorithm) throws Exception {
        KeyId id = fixed(algorithm);

        PublicKey pk = admin().getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(id).build());
        JsonNode jwk = JSON.readTree(pk.getJwkJson());
        java.security.PublicKey jca = parsePem(pk.getPem(), keyType(algorithm));

        KeyId concrete = id.toBuilder().setVersion(1).build();
        assertThat(pk.getKeyId()).isEqualTo(concrete);
        assertThat(pk.getAlgorithm()).isEqualTo(algorithm);
        assertThat(jwk.path("kid").asText()).isEqualTo(NS + "/" + id.getId() + "/1");
        assertThat(jwk.path("use").asText()).isEqualTo("sig");
        assertThat(jwk.has("d")).as("no private part").isFalse();
        switch (algorithm) {
            case ECDSA_P256_SHA256, ECDSA_P384_SHA384 -> {
                boolean p256 = algorithm == KeyAlgorithm.ECDSA_P256_SHA256;
                assertThat(jwk.path("kty").asText()).isEqualTo("EC");
                assertThat(jwk.path("alg").asText()).isEqualTo(p256 ? "ES256" : "ES384");
                assertThat(jwk.path("crv").asText()).isEqualTo(p256 ? "P-256" : "P-384");
                ECPublicKey ec = (ECPublicKey) jca;
                assertThat(unsignedB64u(jwk, "x")).isEqualTo(ec.getW().getAffineX());
                assertThat(unsignedB64u(jwk, "y")).isEqualTo(ec.getW().getAffineY());
                assertThat(b64u(jwk, "x")).hasSize(p256 ? 32 : 48);
            }
            case ED25519 -> {
                assertThat(jwk.path("kty").asText()).isEqualTo("OKP");
                assertThat(jwk.path("alg").asText()).isEqualTo("EdDSA");
                assertThat(jwk.path("crv").asText()).isEqualTo("Ed25519");
                byte[] spki = jca.getEncoded();
                assertThat(b64u(jwk, "x")).isEqualTo(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
            }
            case RSA_PSS_2048_SHA256, RSA_PKCS1_2048_SHA256 -> {
                assertThat(jwk.path("kty").asText()).isEqualTo("RSA");
                assertThat(jwk.path("alg").asText()).isEqualTo(algorithm == KeyAlgorithm.RSA_PSS_2048_SHA256 ? "PS256" : "RS256");
                RSAPublicKey rsa = (RSAPublicKey) jca;
                assertThat(rsa.getModulus().bitLength()).isEqualTo(2048);
                assertThat(unsignedB64u(jwk, "n")).isEqualTo(rsa.getModulus());
                assertThat(unsignedB64u(jwk, "e")).isEqualTo(rsa.getPublicExponent());
            }
            default -> throw new AssertionError(algorithm);
        }
    }

    private static String keyType(KeyAlgorithm a) {
        return switch (a) {
            case ECDSA_P256_SHA256, ECDSA_P384_SHA384 -> "EC";
            case ED25519 -> "Ed25519";
            case RSA_PSS_2048_SHA256, RSA_PKCS1_2048_SHA256 -> "RSA";
            default -> throw new AssertionError(a);
        };
    }

    private static java.security.PublicKey parsePem(String pem, String keyType) throws Exception {
        assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n").endsWith("-----END PUBLIC KEY-----\n");
        String body = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance(keyType).generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(body)));
    }

    private static byte[] b64u(JsonNode jwk, String member) {
        return Base64.getUrlDecoder().decode(jwk.path(member).asText());
    }

    private static BigInteger unsignedB64u(JsonNode jwk, String member) {
        return new BigInteger(1, b64u(jwk, member));
    }

    // ---- RotateKey -------------------------------------------------------------------------------

    @Test
    void rotateKey_aesKey_newPrimaryEncryptsAndOldCiphertextStillDecrypts() {
        KeyId id = freshKey("rot-aes", KeyAlgorithm.AES_256_GCM);
        EncryptResponse before = encrypt(id, "written under v1", "ctx");

        KeyMetadata rotated = admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(id).build());
        EncryptResponse after = encrypt(id, "written under v2", "ctx");

        assertThat(rotated.getPrimaryVersion()).isEqualTo(2);
        assertThat(rotated.getKeyId().getVersion()).isEqualTo(2);
        assertThat(rotated.getVersionsList()).extracting(KeyVersionInfo::getVersion).containsExactly(1, 2);
        assertThat(rotated.getVersionsList()).allSatisfy(v -> assertThat(v.getState()).isEqualTo(KeyState.ENABLED));
        assertThat(before.getKeyId().getVersion()).isEqualTo(1);
        assertThat(after.getKeyId().getVersion()).isEqualTo(2);
        assertThat(decrypt(before, "ctx")).isEqualTo("written under v1");
        assertThat(decrypt(after, "ctx")).isEqualTo("written under v2");
        // A v1 ciphertext presented as v2 (or as "the primary") does not authenticate under the new key.
        String cid = LoopbackServer.newCorrelationId();
        assertRpcError(() -> ls.stub(LoopbackServer.headers(ls.adminToken, cid)).decrypt(decryptRequest(before, "ctx").toBuilder()
                .setKeyId(id.toBuilder().setVersion(2)).build()), Status.Code.INVALID_ARGUMENT, "DECRYPTION_FAILED", cid);
    }

    @Test
    void rotateKey_signingKey_oldSignaturesVerifyWithTheirVersionAndPublicKeysDiffer() {
        KeyId id = freshKey("rot-ec", KeyAlgorithm.ECDSA_P256_SHA256);
        ByteString data = bytes("rotation");
        SignResponse v1 = admin().sign(SignRequest.newBuilder().setKeyId(id).setData(data).build());
        String pem1 = admin().getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(id).build()).getPem();

        admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(id).build());
        SignResponse v2 = admin().sign(SignRequest.newBuilder().setKeyId(id).setData(data).build());
        PublicKey primary = admin().getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(id).build());
        PublicKey old = admin().getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(id.toBuilder().setVersion(1)).build());

        assertThat(v2.getKeyId().getVersion()).isEqualTo(2);
        assertThat(verify(v1.getKeyId(), data, v1.getSignature())).isTrue();
        assertThat(verify(v2.getKeyId(), data, v2.getSignature())).isTrue();
        assertThat(verify(v2.getKeyId(), data, v1.getSignature())).as("v1 signature checked against v2").isFalse();
        assertThat(primary.getKeyId().getVersion()).isEqualTo(2);
        assertThat(primary.getPem()).isNotEqualTo(pem1);
        assertThat(old.getPem()).isEqualTo(pem1);
        assertThat(old.getKeyId().getVersion()).isEqualTo(1);
    }

    @Test
    void rotateKey_concurrentCalls_eachAddsExactlyOneVersion() throws Exception {
        KeyId id = freshKey("rot-concurrent", KeyAlgorithm.AES_256_GCM);
        int n = 6;
        List<java.util.concurrent.Callable<Integer>> calls = java.util.Collections.nCopies(n,
                () -> admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(id).build()).getPrimaryVersion());

        List<Integer> primaries = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(n)) {
            for (var f : pool.invokeAll(calls)) {
                primaries.add(f.get());
            }
        }
        KeyMetadata m = admin().getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(id).build());

        assertThat(primaries).as("each rotation answers the version it created").containsExactlyInAnyOrder(2, 3, 4, 5, 6, 7);
        assertThat(m.getPrimaryVersion()).isEqualTo(n + 1);
        assertThat(m.getVersionsList()).extracting(KeyVersionInfo::getVersion).containsExactly(1, 2, 3, 4, 5, 6, 7);
        assertThat(encrypt(id, "x", "").getKeyId().getVersion()).isEqualTo(n + 1);
    }

    // ---- SetKeyState -----------------------------------------------------------------------------

    @Test
    void setKeyState_disableKey_encryptFailsUntilEnabledAgain() {
        KeyId id = freshKey("disable", KeyAlgorithm.AES_256_GCM);
        EncryptResponse e = encrypt(id, "kept", "");

        KeyMetadata disabled = setState(id, KeyState.DISABLED);
        String cid = LoopbackServer.newCorrelationId();
        CryptoServiceBlockingStub stub = ls.stub(LoopbackServer.headers(ls.adminToken, cid));
        assertRpcError(() -> stub.encrypt(EncryptRequest.newBuilder().setKeyId(id).setPlaintext(bytes("x")).build()),
                Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", cid);
        assertRpcError(() -> stub.decrypt(decryptRequest(e, "")), Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", cid);
        KeyMetadata enabled = setState(id, KeyState.ENABLED);

        assertThat(disabled.getState()).isEqualTo(KeyState.DISABLED);
        assertThat(enabled.getState()).isEqualTo(KeyState.ENABLED);
        assertThat(decrypt(encrypt(id, "works again", ""), "")).isEqualTo("works again");
        assertThat(decrypt(e, "")).isEqualTo("kept");
    }

    @Test
    void setKeyState_disableOneVersion_onlyThatVersionStopsDecrypting() {
        KeyId id = freshKey("disable-version", KeyAlgorithm.AES_256_GCM);
        EncryptResponse v1 = encrypt(id, "one", "");
        admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(id).build());
        EncryptResponse v2 = encrypt(id, "two", "");

        KeyMetadata m = setState(id.toBuilder().setVersion(1).build(), KeyState.DISABLED);

        assertThat(m.getState()).as("the key as a whole").isEqualTo(KeyState.ENABLED);
        assertThat(m.getVersionsList()).extracting(KeyVersionInfo::getState).containsExactly(KeyState.DISABLED, KeyState.ENABLED);
        String cid = LoopbackServer.newCorrelationId();
        assertRpcError(() -> ls.stub(LoopbackServer.headers(ls.adminToken, cid)).decrypt(decryptRequest(v1, "")),
                Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", cid);
        assertThat(decrypt(v2, "")).isEqualTo("two");
        assertThat(encrypt(id, "three", "").getKeyId().getVersion()).isEqualTo(2);

        setState(id.toBuilder().setVersion(1).build(), KeyState.ENABLED);
        assertThat(decrypt(v1, "")).isEqualTo("one");
    }

    @Test
    void getPublicKey_disabledVersion_failsKeyStateInvalidWhileOthersAnswer() {
        KeyId id = freshKey("pub-disabled", KeyAlgorithm.ED25519);
        admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(id).build());
        KeyId v1 = id.toBuilder().setVersion(1).build();

        setState(v1, KeyState.DISABLED);

        String cid = LoopbackServer.newCorrelationId();
        assertRpcError(() -> ls.stub(LoopbackServer.headers(ls.adminToken, cid)).getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(v1)
                .build()), Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", cid);
        assertThat(admin().getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(id).build()).getKeyId().getVersion()).isEqualTo(2);
    }

    @Test
    void setKeyState_pendingDeletionThenDisabled_cancelsTheDeletion() {
        KeyId id = freshKey("pending", KeyAlgorithm.AES_256_GCM);
        EncryptResponse e = encrypt(id, "survives", "");

        KeyMetadata pending = setState(id, KeyState.PENDING_DELETION);
        String cid = LoopbackServer.newCorrelationId();
        assertRpcError(() -> ls.stub(LoopbackServer.headers(ls.adminToken, cid)).decrypt(decryptRequest(e, "")),
                Status.Code.FAILED_PRECONDITION, "KEY_STATE_INVALID", cid);
        KeyMetadata cancelled = setState(id, KeyState.DISABLED);
        setState(id, KeyState.ENABLED);

        assertThat(pending.getState()).isEqualTo(KeyState.PENDING_DELETION);
        assertThat(pending.hasDeletionAt()).isTrue();
        assertThat(pending.getDeletionAt().getSeconds()).isGreaterThan(pending.getCreatedAt().getSeconds() + 3600);
        assertThat(cancelled.getState()).isEqualTo(KeyState.DISABLED);
        assertThat(cancelled.hasDeletionAt()).isFalse();
        assertThat(decrypt(e, "")).isEqualTo("survives");
    }

    @Test
    void setKeyState_versionPendingDeletionThenDisabled_cancelsThatVersionsDeletion() {
        KeyId id = freshKey("pending-version", KeyAlgorithm.AES_256_GCM);
        EncryptResponse v1 = encrypt(id, "old", "");
        admin().rotateKey(RotateKeyRequest.newBuilder().setKeyId(id).build());
        KeyId version1 = id.toBuilder().setVersion(1).build();

        KeyMetadata pending = setState(version1, KeyState.PENDING_DELETION);
        KeyMetadata cancelled = setState(version1, KeyState.DISABLED);
        setState(version1, KeyState.ENABLED);

        assertThat(pending.getState()).isEqualTo(KeyState.ENABLED);
        assertThat(pending.hasDeletionAt()).isFalse();
        assertThat(pending.getVersions(0).getState()).isEqualTo(KeyState.PENDING_DELETION);
        assertThat(pending.getVersions(0).hasDeletionAt()).isTrue();
        assertThat(cancelled.getVersions(0).getState()).isEqualTo(KeyState.DISABLED);
        assertThat(cancelled.getVersions(0).hasDeletionAt()).isFalse();
        assertThat(decrypt(v1, "")).isEqualTo("old");
    }

    @Test
    void setKeyState_destroyedRequestedDirectly_failsInvalidArgument() {
        KeyId id = freshKey("destroy", KeyAlgorithm.AES_256_GCM);
        String cid = LoopbackServer.newCorrelationId();
        CryptoServiceBlockingStub stub = ls.stub(LoopbackServer.headers(ls.adminToken, cid));

        assertRpcError(() -> stub.setKeyState(SetKeyStateRequest.newBuilder().setKeyId(id).setState(KeyState.DESTROYED).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> stub.setKeyState(SetKeyStateRequest.newBuilder().setKeyId(id.toBuilder().setVersion(1))
                .setState(KeyState.DESTROYED).build()), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> stub.setKeyState(SetKeyStateRequest.newBuilder().setKeyId(id).build()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertThat(decrypt(encrypt(id, "still usable", ""), "")).isEqualTo("still usable");
    }

    // ---- GenerateDataKey -------------------------------------------------------------------------

    @Test
    void generateDataKey_withAad_plaintextIs32BytesAndWrappedKeyDecryptsToIt() {
        KeyId id = fixed(KeyAlgorithm.AES_256_GCM);
        ByteString aad = bytes("cache:tenant-7");

        GenerateDataKeyResponse dk = admin().generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyId(id).setAad(aad).build());
        GenerateDataKeyResponse other = admin().generateDataKey(GenerateDataKeyRequest.newBuilder().setKeyId(id).setAad(aad).build());
        EncryptResponse w = dk.getWrappedKey();
        ByteString unwrapped = admin().decrypt(DecryptRequest.newBuilder().setKeyId(w.getKeyId()).setCiphertext(w.getCiphertext())
                .setIv(w.getIv()).setTag(w.getTag()).setAad(aad).build()).getPlaintext();

        assertThat(dk.getPlaintextKey().size()).isEqualTo(32);
        assertThat(other.getPlaintextKey()).isNotEqualTo(dk.getPlaintextKey());
        assertThat(w.getKeyId()).isEqualTo(id.toBuilder().setVersion(1).build());
        assertThat(w.getAlgorithm()).isEqualTo(KeyAlgorithm.AES_256_GCM);
        assertThat(w.getCiphertext()).isNotEqualTo(dk.getPlaintextKey());
        assertThat(unwrapped).isEqualTo(dk.getPlaintextKey());
        assertRpcError(() -> ls.stub(LoopbackServer.headers(ls.adminToken, "dk-wrong-aad")).decrypt(DecryptRequest.newBuilder()
                .setKeyId(w.getKeyId()).setCiphertext(w.getCiphertext()).setIv(w.getIv()).setTag(w.getTag())
                .setAad(bytes("cache:tenant-8")).build()), Status.Code.INVALID_ARGUMENT, "DECRYPTION_FAILED", "dk-wrong-aad");
    }

    // ---- Batches -----------------------------------------------------------------------------------

    private static void assertItem(ItemStatus s, Status.Code code, String reason) {
        assertThat(s.getCode()).as("item %s", s).isEqualTo(code.value());
        assertThat(s.getReason()).as("item %s", s).isEqualTo(reason);
    }

    @Test
    void batchEncrypt_mixOfGoodAndBadItems_reportsStatusPerItem() {
        KeyId aes = fixed(KeyAlgorithm.AES_256_GCM);
        BatchEncryptRequest req = BatchEncryptRequest.newBuilder()
                .addItems(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("first")).setAad(bytes("a1")))
                .addItems(EncryptRequest.newBuilder().setKeyId(key(NS, "no-such-key")).setPlaintext(bytes("x")))
                .addItems(EncryptRequest.newBuilder().setKeyId(fixed(KeyAlgorithm.ECDSA_P256_SHA256)).setPlaintext(bytes("x")))
                .addItems(EncryptRequest.newBuilder().setKeyId(key("", "x")).setPlaintext(bytes("x")))
                .addItems(EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("last")).setAad(bytes("a5")))
                .build();

        BatchEncryptResponse resp = admin().batchEncrypt(req);

        assertThat(resp.getItemsCount()).isEqualTo(5);
        assertItem(resp.getItems(0).getStatus(), Status.Code.OK, "");
        assertItem(resp.getItems(1).getStatus(), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        assertItem(resp.getItems(2).getStatus(), Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH");
        assertItem(resp.getItems(3).getStatus(), Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT");
        assertItem(resp.getItems(4).getStatus(), Status.Code.OK, "");
        assertThat(resp.getItems(1).hasResult()).isFalse();
        assertThat(resp.getItems(0).getResult().getKeyId().getVersion()).isEqualTo(1);
        assertThat(decrypt(resp.getItems(0).getResult(), "a1")).isEqualTo("first");
        assertThat(decrypt(resp.getItems(4).getResult(), "a5")).isEqualTo("last");
    }

    /** A batch draws its IVs in one go: every item must still get its own, and every ciphertext open. */
    @Test
    void batchEncrypt_ofTheSamePlaintextMoreThanOnce_givesEveryItemItsOwnIv() {
        KeyId aes = fixed(KeyAlgorithm.AES_256_GCM);
        EncryptRequest same = EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(bytes("same")).setAad(bytes("ctx")).build();
        BatchEncryptRequest.Builder b = BatchEncryptRequest.newBuilder();
        for (int i = 0; i < 50; i++) {
            b.addItems(same);
        }

        BatchEncryptResponse resp = admin().batchEncrypt(b.build());

        assertThat(resp.getItemsList()).extracting(i -> i.getResult().getIv()).doesNotHaveDuplicates().allSatisfy(iv -> assertThat(iv.size())
                .isEqualTo(12));
        assertThat(resp.getItemsList()).extracting(i -> i.getResult().getCiphertext()).doesNotHaveDuplicates();
        assertThat(resp.getItemsList()).allSatisfy(i -> assertThat(decrypt(i.getResult(), "ctx")).isEqualTo("same"));
    }

    @Test
    void batchDecrypt_mixOfGoodAndBadItems_reportsStatusPerItem() {
        KeyId aes = fixed(KeyAlgorithm.AES_256_GCM);
        EncryptResponse e1 = encrypt(aes, "one", "ctx");
        EncryptResponse e2 = encrypt(aes, "two", "ctx");
        byte[] tampered = e2.getTag().toByteArray();
        tampered[0] ^= 0x01;
        BatchDecryptRequest req = BatchDecryptRequest.newBuilder()
                .addItems(decryptRequest(e1, "ctx"))
                .addItems(decryptRequest(e2, "ctx").toBuilder().setTag(ByteString.copyFrom(tampered)))
                .addItems(decryptRequest(e1, "other ctx"))
                .addItems(decryptRequest(e1, "ctx").toBuilder().setKeyId(aes.toBuilder().setVersion(99)))
                .addItems(decryptRequest(e2, "ctx"))
                .build();

        BatchDecryptResponse resp = admin().batchDecrypt(req);

        assertThat(resp.getItemsCount()).isEqualTo(5);
        assertItem(resp.getItems(0).getStatus(), Status.Code.OK, "");
        assertItem(resp.getItems(1).getStatus(), Status.Code.INVALID_ARGUMENT, "DECRYPTION_FAILED");
        assertItem(resp.getItems(2).getStatus(), Status.Code.INVALID_ARGUMENT, "DECRYPTION_FAILED");
        assertItem(resp.getItems(3).getStatus(), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        assertItem(resp.getItems(4).getStatus(), Status.Code.OK, "");
        assertThat(resp.getItems(0).getResult().getPlaintext().toStringUtf8()).isEqualTo("one");
        assertThat(resp.getItems(1).getResult().getPlaintext().isEmpty()).isTrue();
        assertThat(resp.getItems(4).getResult().getPlaintext().toStringUtf8()).isEqualTo("two");
    }

    @Test
    void batchSign_mixOfGoodAndBadItems_reportsStatusPerItem() {
        KeyId es256 = fixed(KeyAlgorithm.ECDSA_P256_SHA256);
        KeyId ed = fixed(KeyAlgorithm.ED25519);
        BatchSignRequest req = BatchSignRequest.newBuilder()
                .addItems(SignRequest.newBuilder().setKeyId(es256).setData(bytes("d1")))
                .addItems(SignRequest.newBuilder().setKeyId(fixed(KeyAlgorithm.AES_256_GCM)).setData(bytes("d2")))
                .addItems(SignRequest.newBuilder().setKeyId(key(NS, "missing")).setData(bytes("d3")))
                .addItems(SignRequest.newBuilder().setKeyId(ed).setData(bytes("d4")))
                .build();

        BatchSignResponse resp = admin().batchSign(req);

        assertThat(resp.getItemsCount()).isEqualTo(4);
        assertItem(resp.getItems(0).getStatus(), Status.Code.OK, "");
        assertItem(resp.getItems(1).getStatus(), Status.Code.FAILED_PRECONDITION, "ALGORITHM_MISMATCH");
        assertItem(resp.getItems(2).getStatus(), Status.Code.NOT_FOUND, "KEY_NOT_FOUND");
        assertItem(resp.getItems(3).getStatus(), Status.Code.OK, "");
        SignResponse s1 = resp.getItems(0).getResult();
        SignResponse s4 = resp.getItems(3).getResult();
        assertThat(s1.getKeyId().getVersion()).isEqualTo(1);
        assertThat(s4.getAlgorithm()).isEqualTo(KeyAlgorithm.ED25519);
        assertThat(verify(s1.getKeyId(), bytes("d1"), s1.getSignature())).isTrue();
        assertThat(verify(s4.getKeyId(), bytes("d4"), s4.getSignature())).isTrue();
        assertThat(verify(s4.getKeyId(), bytes("d1"), s4.getSignature())).isFalse();
    }

    @Test
    void batchEncrypt_noItems_failsInvalidArgument() {
        String cid = LoopbackServer.newCorrelationId();
        Metadata h = LoopbackServer.headers(ls.adminToken, cid);

        assertRpcError(() -> ls.stub(h).batchEncrypt(BatchEncryptRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> ls.stub(h).batchDecrypt(BatchDecryptRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
        assertRpcError(() -> ls.stub(h).batchSign(BatchSignRequest.getDefaultInstance()),
                Status.Code.INVALID_ARGUMENT, "INVALID_ARGUMENT", cid);
    }
}
