package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.service.keys.KeyOperations;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * T2 — fallback activation, and I6 — graceful degradation. The fallback runs exactly when the
 * service is unavailable (transient failure after retries, or an open circuit), the operation has
 * a fallback (encrypt, sign, data key) and a fallback key is configured; then it increments the
 * fallback metric and logs one WARN with the correlation id. Never for a caller error, never for
 * decrypt of a service ciphertext, never for verify — a bad signature is never reported valid.
 */
class FallbackPropertyTest {
    private static final byte[] AAD = "context".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static KeyId aesKey;
    static KeyId ecKey;
    static KeyId hmacKey;
    static EncryptResult sealed;
    static byte[] data = "signed data".getBytes(StandardCharsets.UTF_8);
    static SignResult ecSignature;
    static SignResult hmacSignature;
    static SecretBytes fallbackAes;
    static SigningKey fallbackSigner;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        aesKey = fx.newKey("fb", KeyAlgorithm.AES_256_GCM);
        ecKey = fx.newKey("fb", KeyAlgorithm.ECDSA_P256_SHA256);
        hmacKey = fx.newKey("fb", KeyAlgorithm.HMAC_SHA256);
        KeyOperations.Encrypted e = fx.server.operations().encrypt(aesKey, "secret".getBytes(StandardCharsets.UTF_8), AAD);
        sealed = EncryptResult.of(e.keyId(), e.ciphertext());
        KeyOperations.Signed s = fx.server.operations().sign(ecKey, data);
        ecSignature = new SignResult(s.keyId(), s.algorithm(), s.signature(), false);
        KeyOperations.Signed h = fx.server.operations().sign(hmacKey, data);
        hmacSignature = new SignResult(h.keyId(), h.algorithm(), h.signature(), false);
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        fallbackAes = SecretBytes.copyOf(raw);
        fallbackSigner = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom(), CryptoProviders.defaults());
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    enum Op { ENCRYPT, SIGN, DATA_KEY, DECRYPT, VERIFY_ASYMMETRIC, VERIFY_HMAC }

    enum Failure {
        NONE(null), UNAVAILABLE(Status.UNAVAILABLE), DEADLINE_EXCEEDED(Status.DEADLINE_EXCEEDED),
        RESOURCE_EXHAUSTED(Status.RESOURCE_EXHAUSTED), CIRCUIT_OPEN(null),
        INVALID_ARGUMENT(Status.INVALID_ARGUMENT), NOT_FOUND(Status.NOT_FOUND), PERMISSION_DENIED(Status.PERMISSION_DENIED),
        FAILED_PRECONDITION(Status.FAILED_PRECONDITION);

        final Status status;

        Failure(Status status) {
            this.status = status;
        }

        boolean unavailable() {
            return this == UNAVAILABLE || this == DEADLINE_EXCEEDED || this == RESOURCE_EXHAUSTED || this == CIRCUIT_OPEN;
        }

        Reason callerReason() {
            return switch (this) {
                case INVALID_ARGUMENT -> Reason.INVALID_ARGUMENT;
                case NOT_FOUND -> Reason.KEY_NOT_FOUND;
                case PERMISSION_DENIED -> Reason.PERMISSION_DENIED;
                case FAILED_PRECONDITION -> Reason.KEY_STATE_INVALID;
                default -> throw new IllegalStateException(name());
            };
        }
    }

    record Case(Op op, Failure failure, boolean fallbackConfigured, boolean tampered, byte[] payload) {
        @Override
        public String toString() {
            return op + "/" + failure + "/fallback=" + fallbackConfigured + "/tampered=" + tampered + "/" + payload.length + "B";
        }
    }

    static Gen<Case> cases() {
        Gen<byte[]> payloads = Generate.byteArrays(integers().between(0, 64), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
        return Generate.enumValues(Op.class).zip(Generate.enumValues(Failure.class), booleans().all(), booleans().all(), payloads,
                Case::new);
    }

    private static CryptoClient client(boolean fallback, SimpleMeterRegistry meters) {
        CryptoClientConfig.Builder b = fx.config().circuitBreaker(100f, 1, 1, Duration.ofHours(1), 1);
        if (fallback) {
            b.fallbackEnabled(true).fallbackAesKey(fallbackAes).fallbackSigningKey(fallbackSigner);
        }
        return fx.client(b.build(), InstantSource.system(), meters);
    }

    @Test
    void withFallback_anyOperationAndFailure_fallsBackExactlyWhenTheServiceIsUnavailable() {
        Examples examples = new Examples();
        try (LogCapture fallbackLog = LogCapture.of(FallbackHandler.class)) {
            Examples.qt().forAll(cases()).checkAssert(c -> {
                examples.ran();
                fx.faults.reset();
                fallbackLog.clear();
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                String cid = "t2-" + UUID.randomUUID();
                try (CryptoClient client = client(c.fallbackConfigured(), meters)) {
                    if (c.failure() == Failure.CIRCUIT_OPEN) {
                        fx.faults.once(FaultInjector.status(Status.UNAVAILABLE));
                        catchThrowableOfType(CryptoException.class, () -> client.decrypt(sealed, AAD));
                        assertThat(CircuitBreakerPropertyTest.state(meters)).isEqualTo(CircuitBreakerPropertyTest.State.OPEN);
                    } else if (c.failure().status != null) {
                        fx.faults.always(FaultInjector.status(c.failure().status));
                    }
                    int rpcsBefore = fx.faults.total();
                    Object result;
                    CryptoException error;
                    try {
                        result = RequestContext.call(RequestContext.of(cid), () -> run(client, c));
                        error = null;
                    } catch (CryptoException e) {
                        result = null;
                        error = e;
                    }
                    double fallbacks = meters.find("keyline.client.fallback").counters().stream().mapToDouble(x -> x.count()).sum();
                    List<ILoggingEvent> warnings = fallbackLog.events();
                    boolean hasFallback = c.op() == Op.ENCRYPT || c.op() == Op.SIGN || c.op() == Op.DATA_KEY;
                    boolean expectFallback = c.failure().unavailable() && c.fallbackConfigured() && hasFallback;

                    if (c.failure() == Failure.CIRCUIT_OPEN) {
                        assertThat(fx.faults.total()).as("open circuit: nothing reaches the service").isEqualTo(rpcsBefore);
                    }
                    if (expectFallback) {
                        assertThat(error).as("%s", c).isNull();
                        assertThat(fallbacks).isEqualTo(1.0);
                        assertThat(warnings).hasSize(1);
                        assertThat(warnings.get(0).getLevel()).isEqualTo(Level.WARN);
                        assertThat(LogCapture.fields(warnings.get(0))).containsEntry("correlation_id", cid)
                                .containsEntry("operation", opName(c.op())).containsEntry("error_code", "CRYPTO_SERVICE_UNAVAILABLE");
                        checkFallbackResult(client, c, result);
                        return;
                    }
                    assertThat(fallbacks).as("no fallback for %s", c).isZero();
                    assertThat(warnings).isEmpty();
                    if (c.failure() == Failure.NONE) {
                        if (c.op() == Op.VERIFY_ASYMMETRIC || c.op() == Op.VERIFY_HMAC) {
                            assertThat(error).isNull();
                            assertThat(result).isEqualTo(!c.tampered());
                        } else {
                            assertThat(error).as("%s", c).isNull();
                            assertThat(isFallbackResult(result)).isFalse();
                        }
                    } else if (c.failure().unavailable()) {
                        assertThat(error).as("%s", c).isNotNull();
                        assertThat(error.reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
                        assertThat(error.correlationId()).isEqualTo(cid);
                    } else {
                        assertThat(error).as("%s", c).isNotNull();
                        assertThat(error.reason()).isEqualTo(c.failure().callerReason());
                    }
                    // Whatever happened, a tampered signature was never called valid.
                    if (c.tampered() && result instanceof Boolean valid) {
                        assertThat(valid).isFalse();
                    }
                }
            });
        }
        examples.assertEnough();
    }

    private static Object run(CryptoClient client, Case c) {
        return switch (c.op()) {
            case ENCRYPT -> client.encrypt(aesKey, c.payload(), AAD);
            case SIGN -> client.sign(ecKey, c.payload());
            case DATA_KEY -> client.generateDataKey(aesKey, AAD);
            case DECRYPT -> client.decrypt(sealed, AAD);
            case VERIFY_ASYMMETRIC -> client.verify(ecSignature.keyId(), data, signature(ecSignature, c.tampered()));
            case VERIFY_HMAC -> client.verify(hmacSignature.keyId(), data, signature(hmacSignature, c.tampered()));
        };
    }

    private static byte[] signature(SignResult s, boolean tampered) {
        byte[] sig = s.signature();
        if (tampered) {
            sig[sig.length / 2] ^= 0x01;
        }
        return sig;
    }

    private static String opName(Op op) {
        return switch (op) {
            case ENCRYPT -> "encrypt";
            case SIGN -> "sign";
            case DATA_KEY -> "generate_data_key";
            default -> throw new IllegalStateException();
        };
    }

    private static boolean isFallbackResult(Object r) {
        return r instanceof EncryptResult e && e.fallback() || r instanceof SignResult s && s.fallback()
                || r instanceof DataKey d && d.fallback();
    }

    /** A fallback result is marked, names the fallback key, and decrypts or verifies locally. */
    private static void checkFallbackResult(CryptoClient client, Case c, Object result) {
        assertThat(isFallbackResult(result)).isTrue();
        fx.faults.reset();
        switch (result) {
            case EncryptResult e -> {
                assertThat(e.keyId().namespace()).isEqualTo("keyline-fallback");
                assertThat(client.decrypt(e, AAD)).isEqualTo(c.payload());
            }
            case SignResult s -> {
                assertThat(client.verify(s.keyId(), c.payload(), s.signature())).isTrue();
                byte[] other = (new String(c.payload(), StandardCharsets.ISO_8859_1) + "x").getBytes(StandardCharsets.ISO_8859_1);
                assertThat(client.verify(s.keyId(), other, s.signature())).isFalse();
            }
            case DataKey d -> assertThat(client.decrypt(d.wrappedKey(), AAD)).isEqualTo(d.plaintextKey().toByteArray());
            default -> throw new AssertionError(result);
        }
        assertThat(fx.faults.total()).as("fallback results open locally").isZero();
    }

    @Test
    void serviceUnavailable_withFallbackKeys_callersKeepEncryptingSigningAndUsingEnvelopes() {
        // I6: with the service down, an embedding service keeps working on the fallback keys.
        Examples examples = new Examples();
        Gen<List<byte[]>> messages = lists().of(Generate.byteArrays(integers().between(0, 200),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))).ofSizeBetween(1, 5);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (CryptoClient client = client(true, meters)) {
            EnvelopeEncryptor envelopes = EnvelopeEncryptor.builder(client, aesKey).meterRegistry(meters).build();
            fx.faults.reset();
            fx.faults.always(FaultInjector.status(Status.UNAVAILABLE));
            Examples.qt().forAll(messages).checkAssert(list -> {
                examples.ran();
                for (byte[] m : list) {
                    EncryptResult e = client.encrypt(aesKey, m, AAD);
                    SignResult s = client.sign(ecKey, m);
                    byte[] env = envelopes.encrypt(m, AAD);
                    assertThat(client.decrypt(e, AAD)).isEqualTo(m);
                    assertThat(client.verify(s.keyId(), m, s.signature())).isTrue();
                    assertThat(envelopes.decrypt(env, AAD)).isEqualTo(m);
                    assertThat(EnvelopeEncryptor.describe(env).fallback()).isTrue();
                }
            });
            fx.faults.clearFaults();
        }
        examples.assertEnough();
    }
}
