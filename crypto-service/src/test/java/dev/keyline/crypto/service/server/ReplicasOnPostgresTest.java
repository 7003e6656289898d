package dev.keyline.crypto.service.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.RotateKeyRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two crypto-service replicas on one PostgreSQL, over real gRPC: each sees the other's keys and rotations. */
class ReplicasOnPostgresTest {
    static final String URL = System.getenv().getOrDefault("KEYLINE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getenv().getOrDefault("KEYLINE_TEST_PG_USER", "postgres");
    static final KeyId KEY = KeyId.newBuilder().setNamespace("shared").setId("orders").build();

    @TempDir
    Path dirA;
    @TempDir
    Path dirB;

    @Test
    void rotationOnOneReplica_isUsedByTheOther_andBothDecryptEverything() throws Exception {
        String schema = "kl_replicas_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        byte[] mk = new byte[32];
        new SecureRandom().nextBytes(mk);
        String masterKey = Base64.getEncoder().encodeToString(mk);
        try (CryptoServer a = replica(dirA, schema, masterKey); CryptoServer b = replica(dirB, schema, masterKey)) {
            String token = a.createdAdminToken().orElseThrow();
            assertThat(b.createdAdminToken()).as("the second replica finds the admin caller in the shared store").isEmpty();
            ManagedChannel chA = channel(a);
            ManagedChannel chB = channel(b);
            try {
                var stubA = stub(chA, token);
                var stubB = stub(chB, token);
                stubA.generateKey(GenerateKeyRequest.newBuilder().setNamespace("shared").setId("orders").setAlgorithm(KeyAlgorithm.AES_256_GCM).build());
                EncryptResponse v1 = stubB.encrypt(enc("one"));
                assertThat(v1.getKeyId().getVersion()).isEqualTo(1);

                stubA.rotateKey(RotateKeyRequest.newBuilder().setKeyId(KEY).build());
                EncryptResponse v2 = stubA.encrypt(enc("two"));
                assertThat(v2.getKeyId().getVersion()).isEqualTo(2);
                // B decrypts version 2 at once, though its metadata cache may still say primary = 1.
                assertThat(stubB.decrypt(dec(v2, "two")).getPlaintext().toStringUtf8()).isEqualTo("two");
                assertThat(stubA.decrypt(dec(v1, "one")).getPlaintext().toStringUtf8()).isEqualTo("one");

                // Within the metadata TTL (200 ms here) B encrypts with the new primary too.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                int seen = 1;
                while (seen < 2 && System.nanoTime() < deadline) {
                    seen = stubB.encrypt(enc("three")).getKeyId().getVersion();
                }
                assertThat(seen).isEqualTo(2);
            } finally {
                chA.shutdownNow();
                chB.shutdownNow();
            }
        } finally {
            try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    @TempDir
    Path dirC;

    /**
     * Three replicas starting at the same moment on an empty schema: exactly one creates the admin
     * caller and writes its token, and that token works on every replica (none replaced it).
     */
    @Test
    void replicasStartingTogether_onAnEmptyStore_createExactlyOneAdmin() throws Exception {
        String schema = "kl_race_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        byte[] mk = new byte[32];
        new SecureRandom().nextBytes(mk);
        String masterKey = Base64.getEncoder().encodeToString(mk);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        java.util.List<CryptoServer> servers = new java.util.ArrayList<>();
        try {
            java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(3);
            java.util.List<java.util.concurrent.Future<CryptoServer>> starts = new java.util.ArrayList<>();
            for (Path dir : java.util.List.of(dirA, dirB, dirC)) {
                starts.add(pool.submit(() -> {
                    together.await();
                    return replica(dir, schema, masterKey);
                }));
            }
            for (var f : starts) {
                servers.add(f.get(60, TimeUnit.SECONDS));
            }

            java.util.List<String> tokens = servers.stream().flatMap(s -> s.createdAdminToken().stream()).toList();
            assertThat(tokens).hasSize(1);
            assertThat(servers.stream().filter(s -> java.nio.file.Files.exists(s.adminTokenFile())).count()).isEqualTo(1);
            for (CryptoServer s : servers) {
                ManagedChannel ch = channel(s);
                try {
                    assertThat(stub(ch, tokens.get(0)).listKeys(dev.keyline.crypto.v1.ListKeysRequest.getDefaultInstance()).getKeysList())
                            .isEmpty();
                } finally {
                    ch.shutdownNow();
                }
            }
        } finally {
            servers.forEach(CryptoServer::close);
            pool.shutdownNow();
            try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static EncryptRequest enc(String text) {
        return EncryptRequest.newBuilder().setKeyId(KEY).setPlaintext(ByteString.copyFromUtf8(text)).setAad(ByteString.copyFromUtf8(text)).build();
    }

    private static DecryptRequest dec(EncryptResponse r, String aad) {
        return DecryptRequest.newBuilder().setKeyId(r.getKeyId()).setCiphertext(r.getCiphertext()).setIv(r.getIv()).setTag(r.getTag())
                .setAad(ByteString.copyFromUtf8(aad)).build();
    }

    private static CryptoServer replica(Path dir, String schema, String masterKey) {
        CryptoServiceConfig config = CryptoServiceConfig.defaults(dir).grpcPort(0).httpPort(0).storeUrl(URL).storeUser(USER)
                .storeSchema(schema).masterKeyBase64(masterKey).metadataTtl(Duration.ofMillis(200)).build();
        return CryptoServer.start(config, new CryptoServer.Network(), false, java.time.InstantSource.system());
    }

    private static ManagedChannel channel(CryptoServer s) {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", s.grpcPort(), InsecureChannelCredentials.create()).build();
    }

    private static CryptoServiceGrpc.CryptoServiceBlockingStub stub(ManagedChannel ch, String token) {
        Metadata h = new Metadata();
        h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return CryptoServiceGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }
}
