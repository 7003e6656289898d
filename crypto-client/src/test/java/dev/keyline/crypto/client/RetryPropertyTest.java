package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.keys.KeyOperations;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.Generate;

/**
 * Retries: only transient failures (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) are
 * repeated, only for operations safe to repeat, never for rotateKey or generateKey; each attempt
 * has its own deadline; attempts wait a jittered exponential backoff.
 */
class RetryPropertyTest {
    private static final byte[] AAD = "aad".getBytes(StandardCharsets.UTF_8);
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static KeyId aesKey;
    static KeyId ecKey;
    static KeyId hmacKey;
    static EncryptResult sealed;
    static SignResult mac;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        aesKey = fx.newKey("retry", KeyAlgorithm.AES_256_GCM);
        ecKey = fx.newKey("retry", KeyAlgorithm.ECDSA_P256_SHA256);
        hmacKey = fx.newKey("retry", KeyAlgorithm.HMAC_SHA256);
        KeyOperations.Encrypted e = fx.server.operations().encrypt(aesKey, "p".getBytes(StandardCharsets.UTF_8), AAD);
        sealed = EncryptResult.of(e.keyId(), e.ciphertext());
        KeyOperations.Signed s = fx.server.operations().sign(hmacKey, AAD);
        mac = new SignResult(s.keyId(), s.algorithm(), s.signature(), false);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    enum Op {
        DECRYPT("Decrypt", true), VERIFY_HMAC("Verify", true), GET_METADATA("GetKeyMetadata", true), GET_PUBLIC_KEY("GetPublicKey", true),
        SIGN("Sign", true), ENCRYPT("Encrypt", true), DATA_KEY("GenerateDataKey", true), ROTATE("RotateKey", false),
        GENERATE("GenerateKey", false);

        final String method;
        final boolean retryable;

        Op(String method, boolean retryable) {
            this.method = method;
            this.retryable = retryable;
        }
    }

    static final List<Status.Code> FAILURES = Arrays.stream(Status.Code.values()).filter(c -> c != Status.Code.OK).toList();

    private static boolean transientCode(Status.Code c) {
        return c == Status.Code.UNAVAILABLE || c == Status.Code.DEADLINE_EXCEEDED || c == Status.Code.RESOURCE_EXHAUSTED;
    }

    @Test
    void anyOperationAndFailureCode_retriesOnlyTransientFailuresOfRepeatableOperations() {
        Examples examples = new Examples();
        Examples.qt().forAll(Generate.enumValues(Op.class), Generate.pick(FAILURES), integers().between(1, 3), integers().between(1, 3))
                .checkAssert((op, code, failures, maxAttempts) -> {
                    examples.ran();
                    SimpleMeterRegistry meters = new SimpleMeterRegistry();
                    CryptoClientConfig config = fx.config().retry(maxAttempts, Duration.ofMillis(1), Duration.ofMillis(2), 2.0, 0.5).build();
                    try (CryptoClient client = fx.client(config, InstantSource.system(), meters)) {
                        // Fill the metadata cache first, so that only the operation's own RPC meets the faults.
                        if (op != Op.GET_METADATA && op != Op.GENERATE && op != Op.ROTATE && op != Op.DECRYPT) {
                            client.getKeyMetadata(op == Op.ENCRYPT || op == Op.DATA_KEY ? aesKey : op == Op.VERIFY_HMAC ? hmacKey : ecKey);
                        }
                        fx.faults.reset();
                        for (int i = 0; i < failures; i++) {
                            fx.faults.once(FaultInjector.status(Status.fromCode(code), op.method));
                        }
                        CryptoException e = catchThrowableOfType(CryptoException.class, () -> run(client, op));
                        fx.faults.clearFaults();
                        boolean retried = op.retryable && transientCode(code);
                        int expectedRpcs = retried ? Math.min(failures + 1, maxAttempts) : 1;
                        assertThat(fx.faults.count(op.method)).as("%s failing %d× with %s, %d attempts", op, failures, code, maxAttempts)
                                .isEqualTo(expectedRpcs);
                        if (retried && failures < maxAttempts) {
                            assertThat(e).isNull();
                        } else {
                            assertThat(e).isNotNull();
                            assertThat(e.reason() == Reason.CRYPTO_SERVICE_UNAVAILABLE).isEqualTo(transientCode(code));
                        }
                        double retries = meters.find("keyline.client.retries").counters().stream().mapToDouble(c -> c.count()).sum();
                        assertThat(retries).isEqualTo(expectedRpcs - 1);
                    }
                });
        examples.assertEnough();
    }

    private static void run(CryptoClient client, Op op) {
        switch (op) {
            case DECRYPT -> client.decrypt(sealed, AAD);
            case VERIFY_HMAC -> assertThat(client.verify(mac.keyId(), AAD, mac.signature())).isTrue();
            case GET_METADATA -> client.getKeyMetadata(aesKey);
            case GET_PUBLIC_KEY -> client.getPublicKey(ecKey);
            case SIGN -> client.sign(ecKey, AAD);
            case ENCRYPT -> client.encrypt(aesKey, AAD, AAD);
            case DATA_KEY -> client.generateDataKey(aesKey, AAD);
            case ROTATE -> client.rotateKey(ecKey);
            case GENERATE -> client.generateKey(KeyId.of("retry", "new-" + UNIQUE.incrementAndGet()), KeyAlgorithm.ED25519, Duration.ZERO);
        }
    }

    @Test
    void decrypt_firstAttemptOutlivesItsDeadline_secondAttemptWithAFreshDeadlineSucceeds() {
        CryptoClientConfig config = fx.config().timeout(Duration.ofMillis(150)).build();
        try (CryptoClient client = fx.client(config)) {
            fx.faults.reset();
            fx.faults.once(FaultInjector.delay(Duration.ofMillis(400), "Decrypt"));
            assertThat(client.decrypt(sealed, AAD)).isEqualTo("p".getBytes(StandardCharsets.UTF_8));
            assertThat(fx.faults.count("Decrypt")).isEqualTo(2);
        }
    }

    @Test
    void retries_waitAJitteredExponentialBackoffBetweenAttempts() {
        // 3 attempts, 40 ms initial, ×2, jitter 0.5: waits in [20, 60] and [40, 120] ms.
        CryptoClientConfig config = fx.config().retry(3, Duration.ofMillis(40), Duration.ofSeconds(1), 2.0, 0.5).build();
        try (CryptoClient client = fx.client(config)) {
            fx.faults.reset();
            fx.faults.always(FaultInjector.status(Status.UNAVAILABLE, "Decrypt"));
            long start = System.nanoTime();
            CryptoException e = catchThrowableOfType(CryptoException.class, () -> client.decrypt(sealed, AAD));
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            fx.faults.clearFaults();
            assertThat(e.reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("after 3 attempts");
            assertThat(fx.faults.count("Decrypt")).isEqualTo(3);
            assertThat(elapsedMs).isGreaterThanOrEqualTo(60);
        }
    }
}
