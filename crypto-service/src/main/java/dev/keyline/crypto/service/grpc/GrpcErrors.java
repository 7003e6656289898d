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

/**
 * The one place where {@link CryptoException} reasons become gRPC statuses. Every error carries a
 * {@code google.rpc.ErrorInfo} (domain {@value #DOMAIN}) whose reason is the Keyline code and
 * whose metadata holds the request's correlation id.
 */
public final class GrpcErrors {
    public static final String DOMAIN = "keyline.dev";

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

    public static StatusRuntimeException toStatus(CryptoException e, String correlationId) {
        com.google.rpc.Status status = statusProto(e.reason(), e.getMessage(), correlationId);
        Metadata trailers = new Metadata();
        if (!correlationId.isEmpty()) {
            trailers.put(RequestContext.CORRELATION_ID, correlationId);
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
    static dev.keyline.crypto.v1.ItemStatus itemStatus(CryptoException e) {
        return dev.keyline.crypto.v1.ItemStatus.newBuilder().setCode(codeOf(e.reason()).value()).setReason(e.reason().name())
                .setMessage(e.getMessage() == null ? "" : e.getMessage()).build();
    }

    /** Immutable, so every successful batch item shares one. */
    private static final dev.keyline.crypto.v1.ItemStatus OK = dev.keyline.crypto.v1.ItemStatus.newBuilder().setCode(Code.OK_VALUE).build();

    static dev.keyline.crypto.v1.ItemStatus ok() {
        return OK;
    }
}
