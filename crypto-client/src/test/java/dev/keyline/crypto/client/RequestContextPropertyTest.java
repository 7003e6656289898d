package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import com.google.rpc.ErrorInfo;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.keys.KeyOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * T3 — request context propagation, I9 — trace context propagation, I10 — error correlation.
 * Whatever the source of the context (an explicit scope, the current OpenTelemetry span with the
 * correlation id as baggage, a span and a scope, or none), every RPC of a call carries the correlation id and W3C trace context the caller had, the
 * service's audit line records them, and every exception carries the call's correlation id.
 */
class RequestContextPropertyTest {
    private static final byte[] AAD = "aad".getBytes(StandardCharsets.UTF_8);
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-";
    private static final AtomicInteger UNIQUE = new AtomicInteger();

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static CryptoClient client;
    static KeyId aesKey;
    static KeyId ecKey;
    static KeyId disabledKey;
    static EncryptResult sealed;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        aesKey = fx.newKey("ctx", KeyAlgorithm.AES_256_GCM);
        ecKey = fx.newKey("ctx", KeyAlgorithm.ECDSA_P256_SHA256);
        disabledKey = fx.newKey("ctx", KeyAlgorithm.ED25519);
        fx.setState(disabledKey, KeyState.DISABLED);
        KeyOperations.Encrypted e = fx.server.operations().encrypt(aesKey, "p".getBytes(StandardCharsets.UTF_8), AAD);
        sealed = EncryptResult.of(e.keyId(), e.ciphertext());
        // Short metadata TTL is irrelevant here; a fresh client per property keeps caches cold enough to see several RPCs.
        client = fx.client(fx.config().build());
    }

    @AfterAll
    static void stop() {
        client.close();
        fx.close();
    }

    enum Source { SCOPE, OTEL_SPAN, OTEL_SPAN_AND_SCOPE, NONE }

    enum Op { ENCRYPT, DECRYPT, SIGN, GET_METADATA, DATA_KEY }

    record Trace(String traceId, String spanId, boolean sampled, String vendorValue) {
        String traceparent() {
            return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
        }

        String tracestate() {
            return vendorValue.isEmpty() ? "" : "vendor=" + vendorValue;
        }
    }

    record Case(Source source, String correlationId, Trace trace, Op op) { }

    static Gen<String> ids() {
        return Generate.byteArrays(integers().between(1, 40), Generate.bytes((byte) 0, (byte) (ID_CHARS.length() - 1), (byte) 0))
                .map(b -> {
                    StringBuilder sb = new StringBuilder();
                    for (byte x : b) {
                        sb.append(ID_CHARS.charAt(x));
                    }
                    return sb.toString();
                });
    }

    static Gen<String> hex(int bytes) {
        return Generate.byteArrays(Generate.constant(bytes), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 1))
                .assuming(b -> !allZero(b)).map(b -> HexFormat.of().formatHex(b));
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    static Gen<Trace> traces() {
        Gen<String> vendor = Generate.pick(List.of("", "a1", "xyz", "t61rcWkgMzE"));
        return hex(16).zip(hex(8), booleans().all(), vendor, Trace::new);
    }

    static Gen<Case> cases() {
        return Generate.enumValues(Source.class).zip(ids(), traces(), Generate.enumValues(Op.class), Case::new);
    }

    /** Runs {@code body} with the context {@code c} describes current. */
    static <T> T inContext(Case c, Supplier<T> body) {
        RequestContext explicit = switch (c.source()) {
            case SCOPE -> RequestContext.of(c.correlationId()).withTrace(c.trace().traceparent(), c.trace().tracestate());
            case OTEL_SPAN_AND_SCOPE -> RequestContext.of(c.correlationId());
            case OTEL_SPAN, NONE -> null;
        };
        Scope otel = null;
        if (c.source() == Source.OTEL_SPAN || c.source() == Source.OTEL_SPAN_AND_SCOPE) {
            TraceState ts = c.trace().vendorValue().isEmpty() ? TraceState.getDefault()
                    : TraceState.builder().put("vendor", c.trace().vendorValue()).build();
            SpanContext sc = SpanContext.create(c.trace().traceId(), c.trace().spanId(),
                    c.trace().sampled() ? TraceFlags.getSampled() : TraceFlags.getDefault(), ts);
            Context ctx = Context.current().with(Span.wrap(sc));
            if (c.source() == Source.OTEL_SPAN) {
                // Span only: the correlation id travels as OpenTelemetry baggage.
                ctx = ctx.with(Baggage.builder().put(RequestContext.BAGGAGE_CORRELATION_ID, c.correlationId()).build());
            }
            otel = ctx.makeCurrent();
        }
        try {
            return explicit == null ? body.get() : RequestContext.call(explicit, body);
        } finally {
            if (otel != null) {
                otel.close();
            }
        }
    }

    private static Object run(Op op) {
        return switch (op) {
            case ENCRYPT -> client.encrypt(aesKey, "x".getBytes(StandardCharsets.UTF_8), AAD);
            case DECRYPT -> client.decrypt(sealed, AAD);
            case SIGN -> client.sign(ecKey, "x".getBytes(StandardCharsets.UTF_8));
            case GET_METADATA -> client.getKeyMetadata(KeyId.of("ctx", "missing-" + UNIQUE.incrementAndGet()));
            case DATA_KEY -> client.generateDataKey(aesKey, AAD);
        };
    }

    @Test
    void anyCall_anyContextSource_carriesCorrelationIdAndTraceContextIntoEveryRpcAndTheAuditLog() {
        Examples examples = new Examples();
        Examples.qt().forAll(cases()).checkAssert(c -> {
            examples.ran();
            fx.faults.reset();
            CryptoException error = catchThrowableOfType(CryptoException.class, () -> inContext(c, () -> run(c.op())));
            List<FaultInjector.Seen> seen = fx.faults.seen();
            // Decrypt always calls; the others call unless their key metadata is cached already.
            if (c.op() == Op.DECRYPT || c.op() == Op.GET_METADATA) {
                assertThat(seen).isNotEmpty();
            }
            String expectedCid = c.source() == Source.NONE ? seen.isEmpty() ? null : seen.get(0).correlationId() : c.correlationId();
            String expectedTp = c.source() == Source.NONE ? "" : c.trace().traceparent();
            String expectedTs = c.source() == Source.NONE ? "" : c.trace().tracestate();
            for (FaultInjector.Seen s : seen) {
                assertThat(s.correlationId()).as("x-correlation-id of %s in %s", s.method(), c).isNotEmpty().isEqualTo(expectedCid);
                assertThat(s.traceparent()).as("traceparent of %s in %s", s.method(), c).isEqualTo(expectedTp);
                assertThat(s.tracestate()).as("tracestate of %s in %s", s.method(), c).isEqualTo(expectedTs);
                assertThat(s.authorization()).isEqualTo("Bearer " + fx.adminToken);
            }
            if (error != null) {
                assertThat(error.correlationId()).isNotEmpty();
                if (expectedCid != null) {
                    assertThat(error.correlationId()).isEqualTo(expectedCid);
                }
            }
            if (!seen.isEmpty()) {
                String traceId = c.source() == Source.NONE ? "" : c.trace().traceId();
                assertThat(auditLine(expectedCid, traceId)).as("audit line of %s", c).isNotEmpty();
            }
        });
        examples.assertEnough();
    }

    /** The audit line with both ids; the service writes it just after answering. */
    private static String auditLine(String correlationId, String traceId) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        String needle = "\"correlation_id\":\"" + correlationId + "\",\"trace_id\":\"" + traceId + "\"";
        while (System.nanoTime() < deadline) {
            fx.server.audit().flush(1, java.util.concurrent.TimeUnit.SECONDS);
            try {
                for (String line : Files.readAllLines(fx.server.audit().file())) {
                    if (line.contains(needle)) {
                        return line;
                    }
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no audit line with " + needle);
    }

    // ------------------------------------------------------------------------------------- I10

    enum ErrorCase { KEY_NOT_FOUND, DECRYPTION_FAILED, KEY_STATE_INVALID, SERVICE_UNAVAILABLE, PERMISSION_DENIED, ALGORITHM_MISMATCH,
        RATE_LIMITED, INJECTED_INVALID_ARGUMENT }

    @Test
    void anyFailedCall_withOrWithoutContext_throwsWithTheCallsCorrelationId() {
        Examples examples = new Examples();
        String narrowToken = fx.token("other:encrypt");
        CryptoClient narrow = fx.client(fx.config().authToken(narrowToken).build());
        CryptoClient limited = fx.client(fx.config().rateLimit(1, Duration.ofHours(1)).build());
        limited.getKeyMetadata(aesKey);
        try {
            Examples.qt().forAll(Generate.enumValues(ErrorCase.class), booleans().all(), ids()).checkAssert((kind, withContext, cid) -> {
                examples.ran();
                fx.faults.reset();
                Supplier<Object> call = () -> switch (kind) {
                    case KEY_NOT_FOUND -> client.getKeyMetadata(KeyId.of("ctx", "absent-" + UNIQUE.incrementAndGet()));
                    case DECRYPTION_FAILED -> client.decrypt(sealed, "wrong".getBytes(StandardCharsets.UTF_8));
                    case KEY_STATE_INVALID -> client.sign(disabledKey, AAD);
                    case SERVICE_UNAVAILABLE -> {
                        fx.faults.always(FaultInjector.status(Status.UNAVAILABLE));
                        yield client.decrypt(sealed, AAD);
                    }
                    case PERMISSION_DENIED -> narrow.decrypt(sealed, AAD);
                    case ALGORITHM_MISMATCH -> client.encrypt(ecKey, AAD, AAD);
                    case RATE_LIMITED -> limited.getKeyMetadata(aesKey);
                    case INJECTED_INVALID_ARGUMENT -> {
                        fx.faults.always(FaultInjector.status(Status.INVALID_ARGUMENT.withDescription("bad")));
                        yield client.decrypt(sealed, AAD);
                    }
                };
                CryptoException e = catchThrowableOfType(CryptoException.class,
                        () -> {
                            if (withContext) {
                                RequestContext.call(RequestContext.of(cid), call);
                            } else {
                                call.get();
                            }
                        });
                fx.faults.clearFaults();
                assertThat(e).as("%s", kind).isNotNull();
                assertThat(e.reason().name()).isEqualTo(switch (kind) {
                    case SERVICE_UNAVAILABLE -> Reason.CRYPTO_SERVICE_UNAVAILABLE.name();
                    case INJECTED_INVALID_ARGUMENT -> Reason.INVALID_ARGUMENT.name();
                    default -> kind.name();
                });
                assertThat(e.correlationId()).isNotEmpty();
                if (withContext) {
                    assertThat(e.correlationId()).isEqualTo(cid);
                }
                assertThat(e.toString()).contains("correlation_id=" + e.correlationId());
                for (FaultInjector.Seen s : fx.faults.seen()) {
                    assertThat(s.correlationId()).isEqualTo(e.correlationId());
                }
                if (e.getCause() instanceof StatusRuntimeException sre && StatusProto.fromThrowable(sre) != null
                        && !StatusProto.fromThrowable(sre).getDetailsList().isEmpty()) {
                    ErrorInfo info = LoopbackErrorInfo.of(sre);
                    assertThat(info.getMetadataMap()).containsEntry("correlation_id", e.correlationId());
                }
            });
        } finally {
            narrow.close();
            limited.close();
        }
        examples.assertEnough();
    }

    /** Reads the ErrorInfo of a rich status. */
    static final class LoopbackErrorInfo {
        static ErrorInfo of(StatusRuntimeException e) {
            try {
                return StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).findFirst()
                        .orElseThrow().unpack(ErrorInfo.class);
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
            }
        }
    }
}
