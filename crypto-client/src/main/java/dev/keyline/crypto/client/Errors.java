package dev.keyline.crypto.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/** The one place where gRPC failures become {@link CryptoException}s on the client side. */
final class Errors {
    private static final String DOMAIN = "keyline.dev";

    private Errors() {
    }

    /**
     * Whether a failure is worth retrying and counts against the circuit breaker: the service
     * (or the way to it) is unavailable, too slow or overloaded. Caller errors never are.
     */
    static boolean isTransient(Throwable t) {
        if (t instanceof StatusRuntimeException sre) {
            Status.Code c = sre.getStatus().getCode();
            return c == Status.Code.UNAVAILABLE || c == Status.Code.DEADLINE_EXCEEDED
                    || c == Status.Code.RESOURCE_EXHAUSTED && !tooLarge(sre.getStatus());
        }
        return false;
    }

    /**
     * Whether gRPC refused a message for its size (the service's inbound limit, or this client's
     * for an answer). The code is RESOURCE_EXHAUSTED like an overload, but sending the same message
     * again cannot succeed: it is the caller's INVALID_ARGUMENT, never retried and never counted
     * against the circuit breaker.
     */
    private static boolean tooLarge(Status status) {
        String d = status.getDescription();
        return status.getCode() == Status.Code.RESOURCE_EXHAUSTED && d != null && d.contains("exceeds maximum size");
    }

    /** The client-side exception for a failed call; transient failures become CRYPTO_SERVICE_UNAVAILABLE. */
    static CryptoException fromStatus(StatusRuntimeException e, String operation, String correlationId, int attempts) {
        Status status = e.getStatus();
        String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        if (tooLarge(status)) {
            return new CryptoException(Reason.INVALID_ARGUMENT, operation + " was refused for its size: " + description
                    + " (the service accepts payloads up to its KEYLINE_CRYPTO_MAX_PAYLOAD_BYTES; split the work or send less)", correlationId, e);
        }
        if (isTransient(e)) {
            return new CryptoException(Reason.CRYPTO_SERVICE_UNAVAILABLE, "crypto service unavailable for " + operation + " after " + attempts
                    + " attempt" + (attempts == 1 ? "" : "s") + ": " + status.getCode() + " (" + description + ")", correlationId, e);
        }
        Reason reason = errorInfoReason(e);
        if (reason == null) {
            reason = byCode(status.getCode());
        }
        return new CryptoException(reason, description, correlationId, e);
    }

    /**
     * The client-side exception for one failed item of a batch call ({@code status} is the item's
     * {@code ItemStatus}), classified like a whole call: a transient code is
     * CRYPTO_SERVICE_UNAVAILABLE, otherwise the item's Keyline reason, else its code's reason. The
     * batch RPC itself succeeded, so such an item was not retried and did not count against the
     * circuit breaker.
     */
    static CryptoException fromItemStatus(dev.keyline.crypto.v1.ItemStatus status, String operation, String correlationId) {
        Status.Code code = Status.fromCodeValue(status.getCode()).getCode();
        String description = status.getMessage().isEmpty() ? code.name() : status.getMessage();
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.RESOURCE_EXHAUSTED) {
            return new CryptoException(Reason.CRYPTO_SERVICE_UNAVAILABLE, "crypto service unavailable for an item of " + operation + ": "
                    + code + " (" + description + ")", correlationId, null);
        }
        Reason reason = null;
        try {
            reason = status.getReason().isEmpty() ? null : Reason.valueOf(status.getReason());
        } catch (IllegalArgumentException unknown) {
            // A reason this client does not know (a newer service): classify by the code below.
        }
        if (reason == null) {
            reason = byCode(code);
        }
        return new CryptoException(reason, description, correlationId, null);
    }

    private static Reason errorInfoReason(StatusRuntimeException e) {
        com.google.rpc.Status rich = StatusProto.fromThrowable(e);
        if (rich == null) {
            return null;
        }
        for (Any detail : rich.getDetailsList()) {
            if (detail.is(ErrorInfo.class)) {
                try {
                    ErrorInfo info = detail.unpack(ErrorInfo.class);
                    if (DOMAIN.equals(info.getDomain())) {
                        return Reason.valueOf(info.getReason());
                    }
                } catch (InvalidProtocolBufferException | IllegalArgumentException ignored) {
                    // An unknown reason (a newer service): fall back to the status code below.
                }
            }
        }
        return null;
    }

    private static Reason byCode(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> Reason.INVALID_ARGUMENT;
            case NOT_FOUND -> Reason.KEY_NOT_FOUND;
            case FAILED_PRECONDITION -> Reason.KEY_STATE_INVALID;
            case PERMISSION_DENIED -> Reason.PERMISSION_DENIED;
            case UNAUTHENTICATED -> Reason.UNAUTHENTICATED;
            case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED -> Reason.CRYPTO_SERVICE_UNAVAILABLE;
            default -> Reason.INTERNAL;
        };
    }
}
