package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.VerifyingKey;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The operations end to end against the real service: every signature algorithm (T5),
 * encryption round trips (T9, I1), sign-then-verify (I3) and invalid-signature detection (I5) as
 * properties; key management; round-robin over two loopback replicas; an unreachable endpoint.
 */
class CryptoClientOperationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<KeyAlgorithm> SIGNING = List.of(KeyAlgorithm.ECDSA_P256_SHA256, KeyAlgorithm.ECDSA_P384_SHA384,
            KeyAlgorithm.ED25519, KeyAlgorithm.RSA_PSS_2048_SHA256, KeyAlgorithm.RSA_PKCS1_2048_SHA256, KeyAlgorithm.HMAC_SHA256);

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static CryptoClient client;
    static KeyId aesKey;
    static final Map<KeyAlgorithm, KeyId> KEYS = new EnumMap<>(KeyAlgorithm.class);

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        client = fx.client(fx.config().build());
        aesKey = fx.newKey("ops", KeyAlgorithm.AES_256_GCM);
        for (KeyAlgorithm a : SIGNING) {
            KEYS.put(a, fx.newKey("ops", a));
        }
    }

    @AfterAll
    static void stop() {
        client.close();
        fx.close();
    }

    static Gen<byte[]> bytes(int max) {
        return Generate.byteArrays(integers().between(0, max), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
    }

    @Test
    void signThenVerify_anyAlgorithmAndMessage_verifiesAndRejectsAnyChange() {
        // T5 (every algorithm), I3 (sign then verify), I5 (tampered data or signature → false).
        Examples examples = new Examples();
        Examples.qt().forAll(Generate.pick(SIGNING), bytes(300), integers().between(0, 1000)).checkAssert((alg, data, where) -> {
            examples.ran();
            KeyId key = KEYS.get(alg);
            SignResult s = client.sign(key, data);
            assertThat(s.algorithm()).isEqualTo(alg);
            assertThat(s.keyId()).isEqualTo(key.withVersion(1));
            assertThat(s.fallback()).isFalse();
            assertThat(client.verify(s.keyId(), data, s.signature())).isTrue();
            byte[] badSig = s.signature();
            badSig[where % badSig.length] ^= (byte) (1 << (where % 8));
            assertThat(client.verify(s.keyId(), data, badSig)).as("tampered signature").isFalse();
            byte[] badData = java.util.Arrays.copyOf(data, data.length + 1);
            badData[where % badData.length] ^= 0x01;
            assertThat(client.verify(s.keyId(), badData, s.signature())).as("tampered data").isFalse();
            if (alg.isAsymmetric()) {
                // The JWS form checks with the published public key: what a JWT verifier elsewhere does.
                PublicKeyInfo pub = client.getPublicKey(s.keyId());
                VerifyingKey vk = VerifyingKey.fromPem(alg, pub.pem(), CryptoProviders.defaults());
                assertThat(vk.verifyJws(data, s.jwsSignature())).isTrue();
                assertThat(jwk(pub).get("alg").asText()).isEqualTo(alg.jwsAlgorithm().orElseThrow());
                assertThat(jwk(pub).get("kid").asText()).isEqualTo(s.keyId().toString());
            }
        });
        examples.assertEnough();
    }

    private static JsonNode jwk(PublicKeyInfo p) {
        try {
            return JSON.readTree(p.jwkJson());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void encryptThenDecrypt_anyPlaintextAndAad_roundTripsAndBindsTheAad() {
        // T9 and I1: round trip; I2 at the service level: another AAD fails.
        Examples examples = new Examples();
        Examples.qt().forAll(bytes(1024), bytes(64), bytes(64)).checkAssert((plaintext, aad, other) -> {
            examples.ran();
            EncryptResult r = client.encrypt(aesKey, plaintext, aad);
            assertThat(r.keyId()).isEqualTo(aesKey.withVersion(1));
            assertThat(r.iv()).hasSize(12);
            assertThat(r.tag()).hasSize(16);
            assertThat(client.decrypt(r, aad)).isEqualTo(plaintext);
            assertThat(EncryptResult.of(r.keyId(), r.sealed())).isEqualTo(r);
            if (!java.util.Arrays.equals(aad, other)) {
                CryptoException e = catchThrowableOfType(CryptoException.class, () -> client.decrypt(r, other));
                assertThat(e.reason()).isEqualTo(Reason.DECRYPTION_FAILED);
            }
        });
        examples.assertEnough();
    }

    @Test
    void encrypt_withoutConfiguredKey_failsWithInvalidConfigAndCorrelationId() {
        CryptoException e = catchThrowableOfType(CryptoException.class, () -> client.encrypt(new byte[1], new byte[0]));
        assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIG);
        assertThat(e.correlationId()).isNotEmpty();
    }

    @Test
    void generateRotateAndReadMetadata_throughTheClient_reflectTheService() {
        KeyId name = KeyId.of("ops", "managed");
        KeyMetadata created = client.generateKey(name, KeyAlgorithm.ECDSA_P256_SHA256, Duration.ofDays(30));
        assertThat(created.keyId()).isEqualTo(name.withVersion(1));
        assertThat(created.rotationPeriod()).isEqualTo(Duration.ofDays(30));
        assertThat(created.primaryUsable()).isTrue();
        KeyMetadata rotated = client.rotateKey(name);
        assertThat(rotated.primaryVersion()).isEqualTo(2);
        fx.faults.reset();
        assertThat(client.getKeyMetadata(name).primaryVersion()).as("rotation result cached").isEqualTo(2);
        assertThat(fx.faults.total()).isZero();
        SignResult s = client.sign(name, new byte[] {1});
        assertThat(s.keyId().version()).isEqualTo(2);
        CryptoException dup = catchThrowableOfType(CryptoException.class,
                () -> client.generateKey(name, KeyAlgorithm.ED25519, Duration.ZERO));
        assertThat(dup).as("generating an existing key fails").isNotNull();
        assertThat(fx.faults.count("GenerateKey")).as("and is not retried").isEqualTo(1);
    }

    @Test
    void sign_namedOlderVersionAfterRotation_signsWithExactlyThatVersion() {
        KeyId key = fx.newKey("ops", KeyAlgorithm.ECDSA_P256_SHA256);
        byte[] data = "while v2 waits to be published".getBytes(StandardCharsets.UTF_8);
        try (CryptoClient c = fx.client(fx.config().build())) {
            c.getKeyMetadata(key);
            assertThat(fx.rotate(key)).isEqualTo(2);
            // The cached metadata still says primary 1: naming version 2 would re-read it; naming 1 must not need to.
            SignResult old = c.sign(key.withVersion(1), data);
            assertThat(old.keyId()).isEqualTo(key.withVersion(1));
            assertThat(old.fallback()).isFalse();
            VerifyingKey v1 = VerifyingKey.fromPem(KeyAlgorithm.ECDSA_P256_SHA256, c.getPublicKey(key.withVersion(1)).pem(),
                    CryptoProviders.defaults());
            VerifyingKey v2 = VerifyingKey.fromPem(KeyAlgorithm.ECDSA_P256_SHA256, c.getPublicKey(key.withVersion(2)).pem(),
                    CryptoProviders.defaults());
            assertThat(v1.verify(data, old.signature())).as("version 1 made it").isTrue();
            assertThat(v2.verify(data, old.signature())).as("not the primary").isFalse();
            assertThat(c.sign(key, data).keyId()).as("version 0 is still the primary").isEqualTo(key.withVersion(2));

            // T13 still holds: the service answering with the primary when version 1 was named is refused.
            fx.faults.reset();
            fx.faults.once(FaultInjector.rewrite(m -> ((dev.keyline.crypto.v1.SignResponse) m).toBuilder()
                    .setKeyId(((dev.keyline.crypto.v1.SignResponse) m).getKeyId().toBuilder().setVersion(2)).build(), "Sign"));
            CryptoException e = catchThrowableOfType(CryptoException.class, () -> c.sign(key.withVersion(1), data));
            assertThat(e.reason()).isEqualTo(Reason.ALGORITHM_MISMATCH);
        }
    }

    @Test
    void sign_namedVersionDisabledOrBelowMinimum_failsWithKeyStateInvalid() {
        KeyId key = fx.newKey("ops", KeyAlgorithm.ED25519);
        fx.rotate(key);
        fx.rotate(key);
        fx.setState(key.withVersion(2), KeyState.DISABLED);
        fx.server.keys().setMinDecryptionVersion(key, 2);
        try (CryptoClient c = fx.client(fx.config().build())) {
            assertThat(catchThrowableOfType(CryptoException.class, () -> c.sign(key.withVersion(1), new byte[] {1})).reason())
                    .as("below min_decryption_version").isEqualTo(Reason.KEY_STATE_INVALID);
            assertThat(catchThrowableOfType(CryptoException.class, () -> c.sign(key.withVersion(2), new byte[] {1})).reason())
                    .as("disabled").isEqualTo(Reason.KEY_STATE_INVALID);
            assertThat(catchThrowableOfType(CryptoException.class, () -> c.sign(key.withVersion(4), new byte[] {1})).reason())
                    .as("no such version").isEqualTo(Reason.KEY_NOT_FOUND);
            assertThat(c.sign(key.withVersion(3), new byte[] {1}).keyId()).isEqualTo(key.withVersion(3));
        }
    }

    @Test
    void generateKey_inTheFallbackNamespace_isRefused() {
        CryptoException e = catchThrowableOfType(CryptoException.class,
                () -> client.generateKey(KeyId.of("keyline-fallback", "x"), KeyAlgorithm.ED25519, Duration.ZERO));
        assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT);
    }

    @Test
    void verify_versionBelowMinimumOrDisabled_isKeyStateInvalidNotFalse() {
        KeyId key = fx.newKey("ops", KeyAlgorithm.ED25519);
        try (CryptoClient c = fx.client(fx.config().build())) {
            SignResult s = c.sign(key, new byte[] {7});
            fx.setState(key.withVersion(1), KeyState.DISABLED);
            try (CryptoClient fresh = fx.client(fx.config().build())) {
                CryptoException e = catchThrowableOfType(CryptoException.class, () -> fresh.verify(s.keyId(), new byte[] {7}, s.signature()));
                assertThat(e.reason()).isEqualTo(Reason.KEY_STATE_INVALID);
            }
        }
    }

    /**
     * A message over gRPC's size limit comes back as RESOURCE_EXHAUSTED, the code of an overload;
     * the client must still see it as the caller's mistake: INVALID_ARGUMENT, one attempt, no
     * breaker count, no fallback, and the service stays usable.
     */
    @Test
    void encrypt_overTheTransportSizeLimit_isInvalidArgumentWithoutRetryOrBreaker(@TempDir Path data) {
        try (CryptoServiceFixture fixture = CryptoServiceFixture.builder(data).withoutHttp().settings(b -> b.maxPayloadBytes(1024)).start()) {
            CryptoServer server = fixture.server();
            String token = fixture.adminToken();
            KeyId key = KeyId.of("size", "aes");
            server.keys().create(key, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
            CryptoClientConfig config = CryptoClientConfig.builder().endpoint("127.0.0.1:" + server.grpcPort()).authToken(token)
                    .circuitBreaker(50f, 4, 2, Duration.ofMinutes(1), 1).build();
            try (CryptoClient c = CryptoClientFactory.builder(config).meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                    .build()) {
                byte[] huge = new byte[200 * 1024];
                for (int i = 0; i < 4; i++) {
                    CryptoException e = catchThrowableOfType(CryptoException.class, () -> c.encrypt(key, huge, new byte[0]));
                    assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("refused for its size");
                }
                assertThat(((GrpcCryptoClient) c).circuitState()).isEqualTo(HealthStatus.CircuitState.CLOSED);
                byte[] small1 = new byte[100];
                assertThat(c.decrypt(c.encrypt(key, small1, new byte[0]), new byte[0])).isEqualTo(small1);
            }
        }
    }

    @Test
    void client_overLoopbackWithTwoReplicas_spreadsCallsRoundRobin(@TempDir Path shared) throws Exception {
        FaultInjector countsA = new FaultInjector();
        FaultInjector countsB = new FaultInjector();
        try (CryptoServiceFixture a = CryptoServiceFixture.builder(shared).withoutHttp().interceptors(List.of(countsA)).start();
                CryptoServiceFixture b = CryptoServiceFixture.builder(shared).withoutHttp().interceptors(List.of(countsB))
                        .settings(c -> c.apply(name -> name.equals("KEYLINE_CRYPTO_AUDIT_LOG") ? shared.resolve("audit-b.log").toString() : null))
                        .start()) {
            CryptoServer serverA = a.server();
            CryptoServer serverB = b.server();
            String token = a.adminToken();
            KeyId key = KeyId.of("rr", "aes");
            serverA.keys().create(key, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
            CryptoClientConfig config = CryptoClientConfig.builder()
                    .endpoints(List.of("127.0.0.1:" + serverA.grpcPort(), "localhost:" + serverB.grpcPort()))
                    .authToken(token).encryptionKeyId("rr/aes").build();
            try (CryptoClient c = CryptoClientFactory.builder(config).meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).build()) {
                for (int i = 0; i < 60; i++) {
                    byte[] pt = ("m" + i).getBytes(StandardCharsets.UTF_8);
                    assertThat(c.decrypt(c.encrypt(pt, new byte[0]), new byte[0])).isEqualTo(pt);
                }
                assertThat(countsA.total()).as("replica A served calls").isGreaterThan(10);
                assertThat(countsB.total()).as("replica B served calls").isGreaterThan(10);
                assertThat(c.healthCheck().status()).isEqualTo(HealthStatus.Status.UP);
            }
        }
    }

    @Test
    void client_endpointThatRefusesConnections_failsAsUnavailableAndHealthIsDown() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CryptoClientConfig config = CryptoClientConfig.builder().endpoint("127.0.0.1:" + port).authToken("kl_whatever")
                .timeout(Duration.ofSeconds(2)).retry(2, Duration.ofMillis(1), Duration.ofMillis(2), 2.0, 0.5)
                .encryptionKeyId("x/y").build();
        try (CryptoClient c = CryptoClientFactory.builder(config).meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).build()) {
            CryptoException e = catchThrowableOfType(CryptoException.class, () -> c.encrypt(new byte[1], new byte[0]));
            assertThat(e.reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("after 2 attempts");
            assertThat(c.healthCheck().status()).isEqualTo(HealthStatus.Status.DOWN);
        }
    }

    @Test
    void results_compareByContentAndNeverPrintSecrets() {
        SignResult s = client.sign(KEYS.get(KeyAlgorithm.ED25519), new byte[] {1, 2});
        SignResult copy = new SignResult(s.keyId(), s.algorithm(), s.signature(), false);
        assertThat(copy).isEqualTo(s).hasSameHashCodeAs(s);
        byte[] leaked = s.signature();
        leaked[0] ^= 1;
        assertThat(s.signature()).as("accessors hand out copies").isNotEqualTo(leaked);
        DataKey dk = client.generateDataKey(aesKey, new byte[0]);
        assertThat(dk.toString()).contains("redacted").doesNotContain(java.util.HexFormat.of().formatHex(dk.plaintextKey().toByteArray()));
        assertThat(fx.config().build().toString()).doesNotContain(fx.adminToken);
    }
}
