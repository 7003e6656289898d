package dev.keyline.crypto.service.grpc;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.service.access.AccessControl;
import dev.keyline.crypto.service.access.Caller;
import dev.keyline.kit.Tracing;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** Request context and authentication for the crypto service's calls. */
final class CallInterceptors {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<Caller> CALLER = Context.key("keyline-caller");

    /**
     * Told about every call the interceptor ends (failed authentication above all), so that it is
     * audited and counted like calls that reach the service.
     */
    interface Rejections {
        void record(String operation, CryptoException error, InboundContext context, long nanos);
    }

    private CallInterceptors() {
    }

    /**
     * Reads correlation id and trace context, echoes the correlation id in the response headers,
     * and authenticates the bearer token. Unauthenticated calls end here with UNAUTHENTICATED and
     * the usual ErrorInfo, and are reported to {@code rejections}; a failing caller store gives
     * UNAVAILABLE / CRYPTO_SERVICE_UNAVAILABLE.
     */
    static ServerInterceptor contextAndAuth(AccessControl access, Rejections rejections) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                long start = System.nanoTime();
                InboundContext rc = InboundContext.from(headers);
                ServerCall<Q, R> echoing = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void sendHeaders(Metadata responseHeaders) {
                        responseHeaders.put(InboundContext.CORRELATION_ID, rc.correlationId());
                        super.sendHeaders(responseHeaders);
                    }
                };
                Caller caller;
                try {
                    caller = access.authenticate(bearer(headers.get(AUTHORIZATION)));
                } catch (CryptoException e) {
                    return reject(call, e, rc, start, rejections);
                } catch (RuntimeException e) {
                    // The caller store failed, not the caller: answer like every other error (ErrorInfo and
                    // correlation id) so clients retry or fall back; GrpcErrors logs the cause for operators.
                    return reject(call, new CryptoException(Reason.CRYPTO_SERVICE_UNAVAILABLE, "access control unavailable", e), rc, start,
                            rejections);
                }
                Context ctx = Context.current().withValue(InboundContext.KEY, rc).withValue(CALLER, caller);
                return Contexts.interceptCall(ctx, echoing, headers, next);
            }
        };
    }

    /** See {@link GrpcServices#tracing}. */
    static ServerInterceptor tracing(Tracing tracing) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                Tracing.ServerSpan span = tracing.detachedServerSpan(call.getMethodDescriptor().getFullMethodName(),
                        name -> headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)));
                ServerCall<Q, R> ending = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void close(Status status, Metadata trailers) {
                        if (!status.isOk()) {
                            span.failed(reasonOf(status, trailers));
                        }
                        try {
                            super.close(status, trailers);
                        } finally {
                            span.close();
                        }
                    }
                };
                ServerCall.Listener<Q> listener;
                try {
                    listener = next.startCall(ending, headers);
                } catch (RuntimeException e) {
                    span.failed("INTERNAL");
                    span.close();
                    throw e;
                }
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                    @Override
                    public void onCancel() {
                        try {
                            super.onCancel();
                        } finally {
                            span.failed("CANCELLED");
                            span.close();
                        }
                    }
                };
            }
        };
    }

    /** The Keyline code of a failed call: its ErrorInfo reason, else the gRPC code's name. */
    private static String reasonOf(Status status, Metadata trailers) {
        com.google.rpc.Status proto = io.grpc.protobuf.StatusProto.fromStatusAndTrailers(status, trailers);
        if (proto != null) {
            for (com.google.protobuf.Any detail : proto.getDetailsList()) {
                if (detail.is(com.google.rpc.ErrorInfo.class)) {
                    try {
                        return detail.unpack(com.google.rpc.ErrorInfo.class).getReason();
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        break;
                    }
                }
            }
        }
        return status.getCode().name();
    }

    private static <Q, R> ServerCall.Listener<Q> reject(ServerCall<Q, R> call, CryptoException e, InboundContext rc, long start,
            Rejections rejections) {
        // Recorded before the caller hears the answer, as the service does for the calls it runs.
        rejections.record(call.getMethodDescriptor().getBareMethodName(), e, rc, System.nanoTime() - start);
        var sre = GrpcErrors.toStatus(e, rc.correlationId());
        Metadata trailers = sre.getTrailers() == null ? new Metadata() : sre.getTrailers();
        call.close(sre.getStatus(), trailers);
        return new ServerCall.Listener<>() { };
    }

    private static String bearer(String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        if (h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return h.substring(7).trim();
        }
        return null;
    }
}
