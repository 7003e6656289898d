package dev.keyline.crypto.service.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.KeyId;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * A real crypto service on a loopback port (SQLite in a temporary directory) and a plaintext
 * channel to it, shared by the tests of one class. Stubs carry {@code authorization} and
 * {@code x-correlation-id} headers as a real client would send them.
 */
final class LoopbackServer implements AutoCloseable {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> CORRELATION_ID = Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

    final CryptoServer server;
    final ManagedChannel channel;
    final String adminToken;
    final Path dataDir;

    private LoopbackServer(CryptoServer server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
        // A restart on an existing data directory finds the admin token where the first start wrote it.
        this.adminToken = server.createdAdminToken().orElseGet(() -> {
            try {
                return java.nio.file.Files.readString(server.adminTokenFile()).trim();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        this.channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.grpcPort(), InsecureChannelCredentials.create()).build();
    }

    static LoopbackServer start(Path dataDir) {
        return start(dataDir, b -> b);
    }

    static LoopbackServer start(Path dataDir, UnaryOperator<CryptoServiceConfig.Builder> settings) {
        CryptoServiceConfig config = settings.apply(CryptoServiceConfig.defaults(dataDir).grpcPort(0).httpPort(0)).build();
        return new LoopbackServer(CryptoServer.start(config), dataDir);
    }

    /** Headers of an admin call with a fresh correlation id. */
    Metadata admin() {
        return headers(adminToken, newCorrelationId());
    }

    /** A stub that sends the admin token and a fresh correlation id on every call. */
    CryptoServiceGrpc.CryptoServiceBlockingStub adminStub() {
        return stub(admin());
    }

    CryptoServiceGrpc.CryptoServiceBlockingStub stub(Metadata headers) {
        return CryptoServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Headers with a bearer token and a correlation id; pass an empty string to leave one out. */
    static Metadata headers(String token, String correlationId) {
        Metadata md = new Metadata();
        if (!token.isEmpty()) {
            md.put(AUTHORIZATION, "Bearer " + token);
        }
        if (!correlationId.isEmpty()) {
            md.put(CORRELATION_ID, correlationId);
        }
        return md;
    }

    static String newCorrelationId() {
        return "test-" + UUID.randomUUID();
    }

    static KeyId key(String namespace, String id) {
        return key(namespace, id, 0);
    }

    static KeyId key(String namespace, String id, int version) {
        return KeyId.newBuilder().setNamespace(namespace).setId(id).setVersion(version).build();
    }

    /**
     * Runs {@code call}, which must fail with {@code code}, and checks the error's
     * {@code google.rpc.ErrorInfo}: domain keyline.dev, {@code reason}, and the correlation id
     * the call sent. Returns the ErrorInfo for further checks.
     */
    static ErrorInfo assertRpcError(ThrowingCallable call, Status.Code code, String reason, String correlationId) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call);
        assertThat(e).as("the call should fail with %s/%s", code, reason).isNotNull();
        assertThat(e.getStatus().getCode()).as("status of %s", e).isEqualTo(code);
        ErrorInfo info = errorInfo(e);
        assertThat(info.getDomain()).isEqualTo("keyline.dev");
        assertThat(info.getReason()).as("ErrorInfo reason of %s", e).isEqualTo(reason);
        assertThat(info.getMetadataMap()).containsEntry("correlation_id", correlationId);
        return info;
    }

    /** The one ErrorInfo in the rich status of {@code e}. */
    static ErrorInfo errorInfo(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertThat(status).as("rich status (grpc-status-details-bin) of %s", e).isNotNull();
        assertThat(status.getCode()).isEqualTo(e.getStatus().getCode().value());
        var infos = status.getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).toList();
        assertThat(infos).hasSize(1);
        try {
            return infos.get(0).unpack(ErrorInfo.class);
        } catch (InvalidProtocolBufferException ex) {
            throw new AssertionError("ErrorInfo does not parse", ex);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
    }
}
