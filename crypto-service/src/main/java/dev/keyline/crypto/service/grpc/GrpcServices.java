package dev.keyline.crypto.service.grpc;

import dev.keyline.crypto.service.access.AccessControl;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.util.List;

/** The services one crypto-service gRPC server exposes, with their interceptors. */
public final class GrpcServices {
    private GrpcServices() {
    }

    /**
     * A server span per call (named after the method, the child of the caller's
     * {@code traceparent}, failed with the call's ErrorInfo reason), for {@code extra} when tracing
     * is on.
     */
    public static ServerInterceptor tracing(dev.keyline.kit.Tracing tracing) {
        return CallInterceptors.tracing(tracing);
    }

    /**
     * The crypto service behind request-context and bearer-token checks, plus the standard
     * health and reflection services, which need no token.
     */
    public static List<ServerServiceDefinition> definitions(CryptoGrpcService service, AccessControl access, HealthStatusManager health,
            List<ServerInterceptor> extra) {
        // intercept() runs the last interceptor first: auth innermost, the extra ones outside it in order.
        List<ServerInterceptor> chain = new java.util.ArrayList<>();
        chain.add(CallInterceptors.contextAndAuth(access, service::rejected));
        chain.addAll(extra.reversed());
        return List.of(
                ServerInterceptors.intercept(service, chain),
                health.getHealthService().bindService(),
                ProtoReflectionServiceV1.newInstance().bindService());
    }
}
