package dev.keyline.crypto.service.grpc;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.service.access.AccessControl;
import dev.keyline.crypto.service.access.Caller;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** Request context and authentication for the crypto service's calls. */
final class CallInterceptors {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<Caller> CALLER = Context.key("keyline-caller");

    private CallInterceptors() {
    }

    /**
     * Reads correlation id and trace context, echoes the correlation id in the response headers,
     * and authenticates the bearer token. Unauthenticated calls end here with UNAUTHENTICATED and
     * the usual ErrorInfo.
     */
    static ServerInterceptor contextAndAuth(AccessControl access) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                RequestContext rc = RequestContext.from(headers);
                ServerCall<Q, R> echoing = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void sendHeaders(Metadata responseHeaders) {
                        responseHeaders.put(RequestContext.CORRELATION_ID, rc.correlationId());
                        super.sendHeaders(responseHeaders);
                    }
                };
                Caller caller;
                try {
                    caller = access.authenticate(bearer(headers.get(AUTHORIZATION)));
                } catch (CryptoException e) {
                    var sre = GrpcErrors.toStatus(e, rc.correlationId());
                    Metadata trailers = sre.getTrailers() == null ? new Metadata() : sre.getTrailers();
                    call.close(sre.getStatus(), trailers);
                    return new ServerCall.Listener<>() { };
                } catch (RuntimeException e) {
                    call.close(Status.UNAVAILABLE.withDescription("access control unavailable"), new Metadata());
                    return new ServerCall.Listener<>() { };
                }
                Context ctx = Context.current().withValue(RequestContext.KEY, rc).withValue(CALLER, caller);
                return Contexts.interceptCall(ctx, echoing, headers, next);
            }
        };
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
