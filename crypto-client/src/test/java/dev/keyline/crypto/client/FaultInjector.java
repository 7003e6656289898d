package dev.keyline.crypto.client;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A server interceptor in front of the real crypto service: counts every RPC by method, records
 * the request context headers each carried, and injects faults — a status instead of the call
 * (UNAVAILABLE, DEADLINE_EXCEEDED, a caller error...), a delay, or a rewritten response. Faults
 * are one-shot (queued, consumed in order by the first matching call) or standing (until cleared).
 */
final class FaultInjector implements ServerInterceptor {
    /** What one incoming call carried. */
    record Seen(String method, String correlationId, String traceparent, String tracestate, String authorization) { }

    /** A fault for the calls of {@code methods} (empty = every method). */
    record Fault(Set<String> methods, Status status, Duration delay, UnaryOperator<Object> rewrite) {
        boolean matches(String method) {
            return methods.isEmpty() || methods.contains(method);
        }
    }

    private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Fault> oneShot = new ConcurrentLinkedQueue<>();
    private volatile Fault standing;

    static Fault status(Status status, String... methods) {
        return new Fault(Set.of(methods), status, Duration.ZERO, null);
    }

    static Fault delay(Duration d, String... methods) {
        return new Fault(Set.of(methods), null, d, null);
    }

    static Fault rewrite(UnaryOperator<Object> f, String... methods) {
        return new Fault(Set.of(methods), null, Duration.ZERO, f);
    }

    void once(Fault f) {
        oneShot.add(f);
    }

    void always(Fault f) {
        standing = f;
    }

    /** Clears faults, counts and recorded headers. */
    void reset() {
        standing = null;
        oneShot.clear();
        counts.clear();
        seen.clear();
    }

    void clearFaults() {
        standing = null;
        oneShot.clear();
    }

    int count(String method) {
        AtomicInteger c = counts.get(method);
        return c == null ? 0 : c.get();
    }

    int total() {
        return counts.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    List<Seen> seen() {
        return List.copyOf(seen);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        counts.computeIfAbsent(method, k -> new AtomicInteger()).incrementAndGet();
        seen.add(new Seen(method, orEmpty(headers.get(CallHeaders.CORRELATION_ID)), orEmpty(headers.get(CallHeaders.TRACEPARENT)),
                orEmpty(headers.get(CallHeaders.TRACESTATE)), orEmpty(headers.get(CallHeaders.AUTHORIZATION))));
        Fault f = pick(method);
        if (f == null) {
            return next.startCall(call, headers);
        }
        if (!f.delay().isZero()) {
            try {
                Thread.sleep(f.delay().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (f.status() != null) {
            call.close(f.status(), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        if (f.rewrite() != null) {
            UnaryOperator<Object> rw = f.rewrite();
            ServerCall<Q, R> rewriting = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                @SuppressWarnings("unchecked")
                public void sendMessage(R message) {
                    super.sendMessage((R) rw.apply(message));
                }
            };
            return next.startCall(rewriting, headers);
        }
        return next.startCall(call, headers);
    }

    private Fault pick(String method) {
        for (Fault f : oneShot) {
            if (f.matches(method) && oneShot.remove(f)) {
                return f;
            }
        }
        Fault s = standing;
        return s != null && s.matches(method) ? s : null;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
