package dev.keyline.crypto.service.grpc;

import static dev.keyline.crypto.service.grpc.LoopbackServer.assertRpcError;
import static dev.keyline.crypto.service.grpc.LoopbackServer.headers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.service.access.AccessControl;
import dev.keyline.crypto.service.access.Caller;
import dev.keyline.crypto.service.access.CallerStore;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.CryptoServiceGrpc.CryptoServiceBlockingStub;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.SignRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The authentication interceptor on its own, in process, in front of a service that implements
 * nothing (UNIMPLEMENTED means the call got through): which calls it ends, how, and that each one
 * it ends is reported for the audit log and metrics.
 */
class CallInterceptorsTest {
    /** An in-memory caller store that can be told to fail like an unreachable database. */
    static final class FlakyCallerStore implements CallerStore {
        final ConcurrentHashMap<String, Caller> byHash = new ConcurrentHashMap<>();
        final AtomicBoolean down = new AtomicBoolean();

        @Override
        public void saveCaller(Caller caller, String tokenHash) {
            byHash.values().removeIf(c -> c.name().equals(caller.name()));
            byHash.put(tokenHash, caller);
        }

        @Override
        public Optional<Caller> findCallerByTokenHash(String tokenHash) {
            if (down.get()) {
                throw new IllegalStateException("database unreachable");
            }
            return Optional.ofNullable(byHash.get(tokenHash));
        }

        @Override
        public List<Caller> listCallers() {
            return List.copyOf(byHash.values());
        }

        @Override
        public boolean deleteCaller(String name) {
            return byHash.values().removeIf(c -> c.name().equals(name));
        }
    }

    record Rejection(String operation, Reason reason, String correlationId) { }

    private final FlakyCallerStore store = new FlakyCallerStore();
    private final List<Rejection> rejections = new CopyOnWriteArrayList<>();
    private Server server;
    private ManagedChannel channel;
    private String token;

    @BeforeEach
    void start() throws Exception {
        // No cache (TTL 0): every call asks the store, so "store down" takes effect at once.
        AccessControl access = new AccessControl(store, new SecureRandom(), InstantSource.system(), Duration.ZERO);
        token = access.issue("app", Grant.parseList("app:encrypt")).token();
        String name = "interceptors-" + UUID.randomUUID();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(new CryptoServiceGrpc.CryptoServiceImplBase() { },
                        CallInterceptors.contextAndAuth(access,
                                (operation, e, rc, nanos) -> rejections.add(new Rejection(operation, e.reason(), rc.correlationId())))))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private CryptoServiceBlockingStub stub(Metadata headers) {
        return CryptoServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @Test
    void interceptCall_validToken_reachesTheServiceAndIsNotReported() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> stub(headers(token, "ok-1")).encrypt(EncryptRequest.getDefaultInstance()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(rejections).isEmpty();
    }

    @Test
    void interceptCall_missingOrWrongToken_failsUnauthenticatedAndIsReported() {
        assertRpcError(() -> stub(headers("", "c-1")).encrypt(EncryptRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "c-1");
        assertRpcError(() -> stub(headers(token + "x", "c-2")).sign(SignRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "c-2");

        assertThat(rejections).containsExactly(new Rejection("Encrypt", Reason.UNAUTHENTICATED, "c-1"),
                new Rejection("Sign", Reason.UNAUTHENTICATED, "c-2"));
    }

    @Test
    void interceptCall_callerStoreFails_failsUnavailableWithErrorInfoAndIsReported() {
        store.down.set(true);

        assertRpcError(() -> stub(headers(token, "c-3")).encrypt(EncryptRequest.getDefaultInstance()),
                Status.Code.UNAVAILABLE, "CRYPTO_SERVICE_UNAVAILABLE", "c-3");

        assertThat(rejections).containsExactly(new Rejection("Encrypt", Reason.CRYPTO_SERVICE_UNAVAILABLE, "c-3"));
    }
}
