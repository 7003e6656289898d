package dev.keyline.platform.cli;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.CryptoServiceGrpc.CryptoServiceBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One command's conversation with the crypto service. Every call carries the bearer token and a
 * fresh {@code x-correlation-id}; a refused call becomes a {@link CliFailure} that reads
 * {@code REASON: message [correlation_id ...]}, the reason being the ErrorInfo reason.
 */
final class CryptoSession implements AutoCloseable {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> CORRELATION_ID = Metadata.Key.of("x-correlation-id", Metadata.ASCII_STRING_MARSHALLER);
    private static final long DEADLINE_SECONDS = 30;

    private final ManagedChannel channel;
    private final CryptoServiceBlockingStub stub;
    private final String address;
    private final String token;
    private final String tokenSource;
    private final boolean tls;

    CryptoSession(ManagedChannel channel, String address, String token, String tokenSource, boolean tls) {
        this.channel = channel;
        this.stub = CryptoServiceGrpc.newBlockingStub(channel);
        this.address = address;
        this.token = token;
        this.tokenSource = tokenSource;
        this.tls = tls;
    }

    /** Runs one RPC; a gRPC error becomes a {@link CliFailure} with exit code 1. */
    <T> T call(Function<CryptoServiceBlockingStub, T> rpc) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        headers.put(CORRELATION_ID, UUID.randomUUID().toString());
        CryptoServiceBlockingStub s = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
        try {
            return rpc.apply(s);
        } catch (StatusRuntimeException e) {
            throw CliFailure.failed(describe(e));
        }
    }

    String describe(StatusRuntimeException e) {
        Status status = e.getStatus();
        ErrorInfo info = errorInfo(e);
        if (info != null) {
            com.google.rpc.Status proto = StatusProto.fromThrowable(e);
            StringBuilder sb = new StringBuilder(info.getReason()).append(": ").append(proto == null ? status.getDescription() : proto.getMessage());
            if (info.getReason().equals("UNAUTHENTICATED")) {
                sb.append(" (the token came from ").append(tokenSource).append(")");
            }
            String cid = info.getMetadataOrDefault("correlation_id", "");
            if (!cid.isEmpty()) {
                sb.append(" [correlation_id ").append(cid).append("]");
            }
            return sb.toString();
        }
        return switch (status.getCode()) {
            case UNAVAILABLE -> "CRYPTO_SERVICE_UNAVAILABLE: cannot reach the crypto service at " + address + ": " + detail(status)
                    + " (" + unavailableHint(detail(status)) + ")";
            case DEADLINE_EXCEEDED -> "CRYPTO_SERVICE_UNAVAILABLE: no answer from the crypto service at " + address + " within "
                    + DEADLINE_SECONDS + " s";
            default -> status.getCode() + ": " + detail(status);
        };
    }

    private String unavailableHint(String detail) {
        if (!tls) {
            return "is it running? start it with ./keyline up; if it uses TLS, pass --tls-ca";
        }
        if (detail.contains("CERTIFICATE_REQUIRED")) {
            return "the service requires a client certificate: pass --tls-cert and --tls-key";
        }
        return "is it running? is --tls-ca the CA that signed its certificate?";
    }

    private static String detail(Status status) {
        String d = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        Throwable root = status.getCause();
        while (root != null && root.getCause() != null) {
            root = root.getCause();
        }
        return root == null || root.getMessage() == null ? d : d + ": " + root.getMessage();
    }

    private static ErrorInfo errorInfo(StatusRuntimeException e) {
        com.google.rpc.Status proto = StatusProto.fromThrowable(e);
        if (proto == null) {
            return null;
        }
        for (Any detail : proto.getDetailsList()) {
            if (detail.is(ErrorInfo.class)) {
                try {
                    return detail.unpack(ErrorInfo.class);
                } catch (InvalidProtocolBufferException ex) {
                    return null;
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
