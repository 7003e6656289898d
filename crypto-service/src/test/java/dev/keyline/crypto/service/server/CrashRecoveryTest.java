package dev.keyline.crypto.service.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.KeyAlgorithm;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.RotateKeyRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a crypto service with SIGKILL in the middle of a loop of rotations and encryptions,
 * restarts it on the same data directory and checks that every ciphertext a client received
 * still decrypts and every rotation a client saw acknowledged is still there.
 */
class CrashRecoveryTest {
    private static final KeyId KEY = KeyId.newBuilder().setNamespace("crash").setId("k").build();

    @TempDir
    Path dataDir;

    record Received(byte[] plaintext, ByteString aad, EncryptResponse response) { }

    @Test
    void sigkill_duringRotationsAndEncryptions_losesNoAcknowledgedCiphertext() throws Exception {
        Process child = startChild();
        int port = readyPort(child);
        String token = Files.readString(dataDir.resolve("admin.token")).trim();
        ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
        AtomicInteger maxRotatedVersion = new AtomicInteger(1);
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        ManagedChannel ch = channel(port);
        try {
            var stub = stub(ch, token);
            stub.generateKey(GenerateKeyRequest.newBuilder().setNamespace("crash").setId("k").setAlgorithm(KeyAlgorithm.AES_256_GCM).build());
            List<Thread> workers = List.of(0, 1, 2).stream().map(w -> Thread.ofPlatform().start(() -> {
                SecureRandom random = new SecureRandom();
                // Bounded: stops at the kill, or after 5,000 calls per worker at the latest.
                for (int i = 0; i < 5_000 && !stop.get(); i++) {
                    try {
                        if (w == 0 && i % 5 == 0) {
                            KeyMetadata m = stub.withDeadlineAfter(10, TimeUnit.SECONDS).rotateKey(RotateKeyRequest.newBuilder().setKeyId(KEY).build());
                            maxRotatedVersion.accumulateAndGet(m.getPrimaryVersion(), Math::max);
                        } else {
                            byte[] pt = new byte[1 + random.nextInt(64)];
                            random.nextBytes(pt);
                            ByteString aad = ByteString.copyFromUtf8("aad-" + w + "-" + i);
                            EncryptResponse r = stub.withDeadlineAfter(10, TimeUnit.SECONDS).encrypt(EncryptRequest.newBuilder()
                                    .setKeyId(KEY).setPlaintext(ByteString.copyFrom(pt)).setAad(aad).build());
                            received.add(new Received(pt, aad, r));
                        }
                        acknowledged.incrementAndGet();
                    } catch (StatusRuntimeException e) {
                        return; // the service died: whatever was not acknowledged does not count
                    }
                }
            })).toList();
            // Kill once a good number of operations (including rotations) were acknowledged.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acknowledged.get() < 600 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            child.destroyForcibly();
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
            stop.set(true);
            for (Thread t : workers) {
                t.join();
            }
        } finally {
            ch.shutdownNow();
        }
        assertThat(received).hasSizeGreaterThan(300);
        assertThat(maxRotatedVersion.get()).isGreaterThan(10);

        Process again = startChild();
        int port2 = readyPort(again);
        ManagedChannel ch2 = channel(port2);
        try {
            var stub = stub(ch2, token);
            KeyMetadata meta = stub.getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(KEY).build());
            assertThat(meta.getPrimaryVersion()).isGreaterThanOrEqualTo(maxRotatedVersion.get());
            int lost = 0;
            for (Received r : received) {
                EncryptResponse e = r.response();
                try {
                    byte[] pt = stub.decrypt(DecryptRequest.newBuilder().setKeyId(e.getKeyId()).setCiphertext(e.getCiphertext())
                            .setIv(e.getIv()).setTag(e.getTag()).setAad(r.aad()).build()).getPlaintext().toByteArray();
                    if (!java.util.Arrays.equals(pt, r.plaintext())) {
                        lost++;
                    }
                } catch (StatusRuntimeException ex) {
                    lost++;
                }
            }
            assertThat(lost).as("ciphertexts lost after SIGKILL").isZero();
        } finally {
            ch2.shutdownNow();
            again.destroyForcibly();
            again.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process startChild() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), CrashChildMain.class.getName(), dataDir.toString());
        pb.redirectErrorStream(true);
        return pb.start();
    }

    private static int readyPort(Process p) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith("READY ")) {
                int port = Integer.parseInt(line.substring(6).trim());
                // Keep draining the child's output so it never blocks on a full pipe.
                Thread.ofPlatform().daemon(true).start(() -> {
                    try {
                        while (r.readLine() != null) {
                            // discard
                        }
                    } catch (java.io.IOException ignored) {
                        // the child died
                    }
                });
                return port;
            }
        }
        throw new IllegalStateException("child exited before it was ready");
    }

    private static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    }

    private static CryptoServiceGrpc.CryptoServiceBlockingStub stub(ManagedChannel ch, String token) {
        Metadata h = new Metadata();
        h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return CryptoServiceGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }
}
