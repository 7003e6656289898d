package dev.keyline.crypto.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * Puts the bearer token and the call's {@link RequestContext} into the headers of every call:
 * {@code authorization}, {@code x-correlation-id}, {@code traceparent}, {@code tracestate}.
 */
final class CallHeaders implements ClientInterceptor {
    static final CallOptions.Key<RequestContext> CONTEXT = CallOptions.Key.create("keyline-request-context");
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> CORRELATION_ID = Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

    private final String authorization;

    CallHeaders(String token) {
        this.authorization = "Bearer " + token;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        RequestContext ctx = options.getOption(CONTEXT);
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.put(AUTHORIZATION, authorization);
                if (ctx != null) {
                    if (!ctx.correlationId().isEmpty()) {
                        headers.put(CORRELATION_ID, ctx.correlationId());
                    }
                    if (!ctx.traceparent().isEmpty()) {
                        headers.put(TRACEPARENT, ctx.traceparent());
                        if (!ctx.tracestate().isEmpty()) {
                            headers.put(TRACESTATE, ctx.tracestate());
                        }
                    }
                }
                super.start(listener, headers);
            }
        };
    }

    @Override
    public String toString() {
        return "CallHeaders[token redacted]";
    }
}
