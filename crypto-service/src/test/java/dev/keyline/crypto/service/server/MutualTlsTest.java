package dev.keyline.crypto.service.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.ListKeysRequest;
import dev.keyline.testing.TestPki;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gRPC over mutual TLS with certificates made by openssl: a client certificate from the CA is required. */
class MutualTlsTest {
    @TempDir
    static Path dir;
    static CryptoServer server;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.create(dir, "ca", "keyline-test-ca");
        pki.issue("server", "IP:127.0.0.1,DNS:localhost");
        pki.issue("client", "");
        // The stranger's certificate is self-signed: not from the CA the server trusts.
        TestPki.create(dir, "stranger", "stranger");
        CryptoServiceConfig config = CryptoServiceConfig.defaults(dir.resolve("data")).grpcPort(0).httpPort(0)
                .tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem")).build();
        server = CryptoServer.start(config, new CryptoServer.Network(), false, java.time.InstantSource.system());
        token = server.createdAdminToken().orElseThrow();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static ManagedChannel channel(String clientName) throws IOException {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(dir.resolve("ca.pem").toFile());
        if (clientName != null) {
            b.keyManager(dir.resolve(clientName + ".pem").toFile(), dir.resolve(clientName + ".key").toFile());
        }
        ChannelCredentials creds = b.build();
        return Grpc.newChannelBuilderForAddress("127.0.0.1", server.grpcPort(), creds).build();
    }

    private static CryptoServiceGrpc.CryptoServiceBlockingStub stub(ManagedChannel ch) {
        Metadata h = new Metadata();
        h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return CryptoServiceGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @Test
    void call_withClientCertificateFromTheCa_succeeds() throws Exception {
        ManagedChannel ch = channel("client");
        try {
            assertThat(stub(ch).listKeys(ListKeysRequest.getDefaultInstance()).getKeysList()).isEmpty();
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void call_withoutClientCertificate_failsToConnect() throws Exception {
        ManagedChannel ch = channel(null);
        try {
            assertThatThrownBy(() -> stub(ch).listKeys(ListKeysRequest.getDefaultInstance()))
                    .isInstanceOf(StatusRuntimeException.class);
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void call_withCertificateFromAnotherIssuer_failsToConnect() throws Exception {
        ManagedChannel ch = channel("stranger");
        try {
            assertThatThrownBy(() -> stub(ch).listKeys(ListKeysRequest.getDefaultInstance()))
                    .isInstanceOf(StatusRuntimeException.class);
        } finally {
            ch.shutdownNow();
        }
    }
}
