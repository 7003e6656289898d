package dev.keyline.crypto.service.grpc;

import dev.keyline.crypto.service.access.AccessControl;
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
     * The crypto service behind request-context and bearer-token checks, plus the standard
     * health and reflection services, which need no token.
     */
    public static List<ServerServiceDefinition> definitions(CryptoGrpcService service, AccessControl access, HealthStatusManager health) {
        return List.of(
                ServerInterceptors.intercept(service, CallInterceptors.contextAndAuth(access)),
                health.getHealthService().bindService(),
                ProtoReflectionServiceV1.newInstance().bindService());
    }
}
