package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.booleans;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.keys.KeyOperations;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.Generate;

/**
 * T10 — error logging completeness. Every failed call writes exactly one log line, WARN or ERROR,
 * with the fields operation, key_id, error_code, correlation_id, trace_id, duration_ms and attempt,
 * matching the exception; no secret appears in it; a successful call writes nothing.
 */
class ErrorLoggingPropertyTest {
    private static final byte[] AAD = "aad".getBytes(StandardCharsets.UTF_8);
    private static final AtomicInteger UNIQUE = new AtomicInteger();
    private static final List<String> FIELDS = List.of("operation", "key_id", "error_code", "correlation_id", "trace_id", "duration_ms",
            "attempt");

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static CryptoClient client;
    static CryptoClient limited;
    static KeyId aesKey;
    static KeyId ecKey;
    static KeyId disabledKey;
    static EncryptResult sealed;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        aesKey = fx.newKey("log", KeyAlgorithm.AES_256_GCM);
        ecKey = fx.newKey("log", KeyAlgorithm.ECDSA_P256_SHA256);
        disabledKey = fx.newKey("log", KeyAlgorithm.ECDSA_P256_SHA256);
        fx.setState(disabledKey, KeyState.DISABLED);
        KeyOperations.Encrypted e = fx.server.operations().encrypt(aesKey, "p".getBytes(StandardCharsets.UTF_8), AAD);
        sealed = EncryptResult.of(e.keyId(), e.ciphertext());
        client = fx.client(fx.config().build());
        limited = fx.client(fx.config().rateLimit(1, Duration.ofHours(1)).build());
        limited.getKeyMetadata(aesKey);
    }

    @AfterAll
    static void stop() {
        client.close();
        limited.close();
        fx.close();
    }

    enum Scenario { OK, KEY_NOT_FOUND, DECRYPTION_FAILED, KEY_STATE_INVALID, SERVICE_UNAVAILABLE, ALGORITHM_MISMATCH_RESPONSE,
        RATE_LIMITED, PERMISSION_DENIED_INJECTED }

    @Test
    void anyFailedCall_logsExactlyOneLineWithEveryField() {
        Examples examples = new Examples();
        try (LogCapture log = LogCapture.of(GrpcCryptoClient.class)) {
            Examples.qt().forAll(Generate.enumValues(Scenario.class), booleans().all(), RequestContextPropertyTest.traces())
                    .checkAssert((scenario, traced, trace) -> {
                        examples.ran();
                        fx.faults.reset();
                        log.clear();
                        String cid = "t10-" + UNIQUE.incrementAndGet();
                        RequestContext ctx = traced ? RequestContext.of(cid).withTrace(trace.traceparent(), trace.tracestate())
                                : RequestContext.of(cid);
                        CryptoException e = catchThrowableOfType(CryptoException.class, () -> RequestContext.run(ctx, () -> run(scenario)));
                        fx.faults.clearFaults();
                        List<ILoggingEvent> events = log.events();
                        if (scenario == Scenario.OK) {
                            assertThat(e).isNull();
                            assertThat(events).as("a successful call logs nothing").isEmpty();
                            return;
                        }
                        assertThat(e).as("%s", scenario).isNotNull();
                        assertThat(events).as("one line per failed call (%s)", scenario).hasSize(1);
                        ILoggingEvent line = events.get(0);
                        assertThat(line.getLevel()).isIn(Level.WARN, Level.ERROR);
                        Map<String, Object> f = LogCapture.fields(line);
                        assertThat(f).containsOnlyKeys(FIELDS);
                        assertThat(f.get("error_code")).isEqualTo(e.reason().name());
                        assertThat(f.get("correlation_id")).isEqualTo(cid).isEqualTo(e.correlationId());
                        assertThat(f.get("trace_id")).isEqualTo(traced ? trace.traceId() : "");
                        assertThat(f.get("operation")).isNotNull().asString().isNotEmpty();
                        assertThat(f.get("key_id")).asString().isNotEmpty();
                        assertThat((Long) f.get("duration_ms")).isGreaterThanOrEqualTo(0L);
                        int attempt = (Integer) f.get("attempt");
                        switch (scenario) {
                            case SERVICE_UNAVAILABLE -> assertThat(attempt).as("both attempts").isEqualTo(2);
                            case RATE_LIMITED -> assertThat(attempt).as("never reached the network").isZero();
                            case DECRYPTION_FAILED, PERMISSION_DENIED_INJECTED -> assertThat(attempt).isEqualTo(1);
                            default -> assertThat(attempt).isBetween(0, 2);
                        }
                        assertThat(line.getFormattedMessage() + f).doesNotContain(fx.adminToken);
                    });
        }
        examples.assertEnough();
    }

    private static void run(Scenario s) {
        switch (s) {
            case OK -> client.decrypt(sealed, AAD);
            case KEY_NOT_FOUND -> client.getKeyMetadata(KeyId.of("log", "absent-" + UNIQUE.incrementAndGet()));
            case DECRYPTION_FAILED -> client.decrypt(sealed, "wrong".getBytes(StandardCharsets.UTF_8));
            case KEY_STATE_INVALID -> client.sign(disabledKey, AAD);
            case SERVICE_UNAVAILABLE -> {
                fx.faults.always(FaultInjector.status(Status.UNAVAILABLE.withDescription("injected outage")));
                client.decrypt(sealed, AAD);
            }
            case ALGORITHM_MISMATCH_RESPONSE -> {
                fx.faults.always(FaultInjector.rewrite(m -> ((dev.keyline.crypto.v1.SignResponse) m).toBuilder()
                        .setAlgorithm(dev.keyline.crypto.v1.KeyAlgorithm.ED25519).build(), "Sign"));
                client.sign(ecKey, AAD);
            }
            case RATE_LIMITED -> limited.getKeyMetadata(aesKey);
            case PERMISSION_DENIED_INJECTED -> {
                fx.faults.always(FaultInjector.status(Status.PERMISSION_DENIED, "Decrypt"));
                client.decrypt(sealed, AAD);
            }
        }
    }
}
