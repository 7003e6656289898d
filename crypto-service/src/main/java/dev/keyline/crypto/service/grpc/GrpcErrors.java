package dev.keyline.crypto.service.grpc;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where {@link CryptoException} reasons become gRPC statuses. Every error carries a
 * {@code google.rpc.ErrorInfo} (domain {@value #DOMAIN}) whose reason is the Keyline code and
 * whose metadata holds the request's correlation id.
 *
 * <p>Callers see the message of caller-facing reasons (a key that does not exist, a grant that is
 * missing, a malformed argument): the service wrote those for them. Failures of the service itself
 * ({@link #serverSide}: a key store error, a stored key that does not unwrap under the master key,
 * a provider failure) may carry JDBC messages, SQL text, file names or the master key's
 * fingerprint; the caller gets a fixed message per reason with the correlation id, and the details
 * go to the service log under that correlation id.
 */
public final class GrpcErrors {
    public static final String DOMAIN = "keyline.dev";
    private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    public static Status.Code codeOf(Reason reason) {
        return switch (reason) {
            case INVALID_ARGUMENT, DECRYPTION_FAILED, AAD_MISMATCH, SIGNATURE_INVALID -> Status.Code.INVALID_ARGUMENT;
            case KEY_NOT_FOUND -> Status.Code.NOT_FOUND;
            case KEY_STATE_INVALID, ALGORITHM_MISMATCH, INVALID_CONFIG -> Status.Code.FAILED_PRECONDITION;
            case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
            case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
            case RATE_LIMITED -> Status.Code.RESOURCE_EXHAUSTED;
            case CRYPTO_SERVICE_UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case ENCRYPTION_FAILED, SIGNATURE_FAILED, INTERNAL -> Status.Code.INTERNAL;
        };
    }

    /**
     * Whether {@code reason} is a failure of the service rather than of the request: its message is
     * for operators (logged), never for the caller.
     */
    public static boolean serverSide(Reason reason) {
        return switch (reason) {
            case INTERNAL, ENCRYPTION_FAILED, SIGNATURE_FAILED, CRYPTO_SERVICE_UNAVAILABLE, INVALID_CONFIG -> true;
            case INVALID_ARGUMENT, DECRYPTION_FAILED, AAD_MISMATCH, SIGNATURE_INVALID, KEY_NOT_FOUND, KEY_STATE_INVALID,
                    ALGORITHM_MISMATCH, PERMISSION_DENIED, UNAUTHENTICATED, RATE_LIMITED -> false;
        };
    }

    /**
     * The message the caller gets for {@code e}: its own for caller-facing reasons; for
     * {@link #serverSide} ones a fixed text naming the correlation id, after logging the details
     * (message and cause) under that id.
     */
    static String callerMessage(CryptoException e, String correlationId) {
        if (!serverSide(e.reason())) {
            return e.getMessage() == null ? e.reason().name() : e.getMessage();
        }
        LOG.error("{} correlation_id={}: {}", e.reason(), correlationId, e.getMessage(), e);
        String what = switch (e.reason()) {
            case ENCRYPTION_FAILED -> "encryption failed inside the crypto service";
            case SIGNATURE_FAILED -> "signing failed inside the crypto service";
            case CRYPTO_SERVICE_UNAVAILABLE -> "the crypto service cannot serve this call now";
            case INVALID_CONFIG -> "the crypto service is misconfigured";
            default -> "internal error in the crypto service";
        };
        return what + "; details are in the service log under correlation_id=" + correlationId;
    }

    public static StatusRuntimeException toStatus(CryptoException e, String correlationId) {
        com.google.rpc.Status status = statusProto(e.reason(), callerMessage(e, correlationId), correlationId);
        Metadata trailers = new Metadata();
        if (!correlationId.isEmpty()) {
            trailers.put(InboundContext.CORRELATION_ID, correlationId);
        }
        return StatusProto.toStatusRuntimeException(status, trailers);
    }

    static com.google.rpc.Status statusProto(Reason reason, String message, String correlationId) {
        ErrorInfo info = ErrorInfo.newBuilder().setReason(reason.name()).setDomain(DOMAIN)
                .putMetadata("correlation_id", correlationId).build();
        return com.google.rpc.Status.newBuilder().setCode(codeOf(reason).value())
                .setMessage(message == null ? reason.name() : message).addDetails(Any.pack(info)).build();
    }

    /** The per-item status of a batch call. */
    static dev.keyline.crypto.v1.ItemStatus itemStatus(CryptoException e, String correlationId) {
        return dev.keyline.crypto.v1.ItemStatus.newBuilder().setCode(codeOf(e.reason()).value()).setReason(e.reason().name())
                .setMessage(callerMessage(e, correlationId)).build();
    }

    /** Immutable, so every successful batch item shares one. */
    private static final dev.keyline.crypto.v1.ItemStatus OK = dev.keyline.crypto.v1.ItemStatus.newBuilder().setCode(Code.OK_VALUE).build();

    static dev.keyline.crypto.v1.ItemStatus ok() {
        return OK;
    }
}
