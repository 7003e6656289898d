package dev.keyline.platform.bench;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.crypto.v1.BatchEncryptRequest;
import dev.keyline.crypto.v1.CryptoServiceGrpc;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.GenerateKeyRequest;

import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.SignResponse;
import dev.keyline.crypto.v1.VerifyRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code keyline bench crypto}: in-process primitive rates per provider, then RPC rates against a
 * crypto service on a loopback port, all in one run on this machine, with the ratios the issue
 * names. The service runs in the same JVM as the load generator (both share the cores).
 */
public final class CryptoBench {
    private final Duration warmup;
    private final Duration measure;
    private final int concurrency;
    private final PrintWriter out;

    public CryptoBench(Duration warmup, Duration measure, int concurrency, PrintWriter out) {
        this.warmup = warmup;
        this.measure = measure;
        this.concurrency = concurrency;
        this.out = out;
    }

    /** Everything one run measured: rows and the named ratios. */
    public record Report(List<Row> rows, Map<String, Double> ratios) { }

    /** One line of the table. */
    public record Row(String name, double opsPerSecond, double itemsPerSecond, double p50Micros, double p99Micros, long errors) { }

    public Report run() throws InterruptedException {
        List<LoadLoop.Result> results = new ArrayList<>();
        int threads = Runtime.getRuntime().availableProcessors();
        SecureRandom random = new SecureRandom();
        byte[] kib = new byte[1024];
        random.nextBytes(kib);
        byte[] aad = "bench".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        progress("in-process primitives");
        byte[] aesKey = new byte[32];
        random.nextBytes(aesKey);
        Map<String, CryptoProviders> providers = new LinkedHashMap<>();
        providers.put("jdk", CryptoProviders.jdkOnly());
        try {
            providers.put("accp", CryptoProviders.nativePreferred());
        } catch (IllegalStateException e) {
            out.println("  native provider unavailable: " + e.getMessage());
        }
        AesGcm jdkAes = AesGcm.of(SecretBytes.copyOf(aesKey), CryptoProviders.jdkOnly().aead());
        results.add(LoadLoop.runLocal("aes-256-gcm 1KiB encrypt (SunJCE)", threads, warmup, measure,
                () -> jdkAes.encrypt(kib, aad, random)));
        java.security.Provider accp = providers.containsKey("accp")
                ? providers.get("accp").forAlgorithm(KeyAlgorithm.ECDSA_P256_SHA256) : null;
        if (accp != null) {
            AesGcm nativeAes = AesGcm.of(SecretBytes.copyOf(aesKey), accp);
            results.add(LoadLoop.runLocal("aes-256-gcm 1KiB encrypt (ACCP)", threads, warmup, measure,
                    () -> nativeAes.encrypt(kib, aad, random)));
        }
        for (var e : providers.entrySet()) {
            SigningKey key = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, random, e.getValue());
            byte[] sig = key.sign(kib);
            results.add(LoadLoop.runLocal("es256 sign (" + e.getKey() + ")", threads, warmup, measure, () -> key.sign(kib)));
            results.add(LoadLoop.runLocal("es256 verify (" + e.getKey() + ")", threads, warmup, measure,
                    () -> key.verifyingKey().verify(kib, sig)));
        }

        progress("starting a crypto service on loopback");
        Path dir;
        try {
            dir = Files.createTempDirectory("keyline-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CryptoServiceConfig config = CryptoServiceConfig.defaults(dir).grpcPort(0).httpPort(0).build();
        try (CryptoServer server = CryptoServer.start(config, new CryptoServer.Network(), false, java.time.InstantSource.system())) {
            String token = server.createdAdminToken().orElseThrow();
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.grpcPort(), InsecureChannelCredentials.create())
                    .build();
            try {
                Metadata h = new Metadata();
                h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                var blocking = CryptoServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
                var async = CryptoServiceGrpc.newFutureStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
                var health = HealthGrpc.newFutureStub(channel);
                blocking.generateKey(GenerateKeyRequest.newBuilder().setNamespace("bench").setId("aes").setAlgorithm(dev.keyline.crypto.v1.KeyAlgorithm.AES_256_GCM).build());
                blocking.generateKey(GenerateKeyRequest.newBuilder().setNamespace("bench").setId("es256").setAlgorithm(dev.keyline.crypto.v1.KeyAlgorithm.ECDSA_P256_SHA256).build());
                KeyId aes = KeyId.newBuilder().setNamespace("bench").setId("aes").build();
                KeyId es = KeyId.newBuilder().setNamespace("bench").setId("es256").build();
                ByteString payload = ByteString.copyFrom(kib);
                ByteString aadBs = ByteString.copyFrom(aad);
                EncryptRequest enc = EncryptRequest.newBuilder().setKeyId(aes).setPlaintext(payload).setAad(aadBs).build();
                SignRequest sign = SignRequest.newBuilder().setKeyId(es).setData(payload).build();
                SignResponse signed = blocking.sign(sign);
                VerifyRequest verify = VerifyRequest.newBuilder().setKeyId(signed.getKeyId()).setData(payload)
                        .setSignature(signed.getSignature()).build();
                BatchEncryptRequest.Builder batch = BatchEncryptRequest.newBuilder();
                for (int i = 0; i < 100; i++) {
                    batch.addItems(enc);
                }
                BatchEncryptRequest batch100 = batch.build();
                HealthCheckRequest ping = HealthCheckRequest.getDefaultInstance();

                progress("rpc: empty (health check)");
                results.add(LoadLoop.run("rpc empty (health check)", concurrency, warmup, measure, 1, () -> health.check(ping)));
                progress("rpc: encrypt 1KiB");
                results.add(LoadLoop.run("rpc encrypt 1KiB", concurrency, warmup, measure, 1, () -> async.encrypt(enc)));
                progress("rpc: sign es256");
                results.add(LoadLoop.run("rpc sign es256", concurrency, warmup, measure, 1, () -> async.sign(sign)));
                progress("rpc: verify es256");
                results.add(LoadLoop.run("rpc verify es256", concurrency, warmup, measure, 1, () -> async.verify(verify)));
                progress("rpc: batch encrypt 100 x 1KiB");
                results.add(LoadLoop.run("rpc batch encrypt 100x1KiB", Math.max(2, concurrency / 8), warmup, measure, 100,
                        () -> async.batchEncrypt(batch100)));

                // The client library against the bare stub, both blocking, with the same number of threads.
                int callers = Math.min(concurrency, 32);
                try (CryptoClient client = CryptoClientFactory.create(CryptoClientConfig.builder()
                        .endpoint("127.0.0.1:" + server.grpcPort()).authToken(token).build())) {
                    dev.keyline.crypto.core.keys.KeyId esId = dev.keyline.crypto.core.keys.KeyId.of("bench", "es256");
                    dev.keyline.crypto.core.keys.KeyId aesId = dev.keyline.crypto.core.keys.KeyId.of("bench", "aes");
                    progress("client: sign es256 vs bare stub");
                    results.add(LoadLoop.runLocal("stub sign es256 (blocking)", callers, warmup, measure, () -> blocking.sign(sign)));
                    results.add(LoadLoop.runLocal("client sign es256", callers, warmup, measure, () -> client.sign(esId, kib)));
                    progress("client: verify with cached public key vs Verify rpc");
                    dev.keyline.crypto.client.SignResult s = client.sign(esId, kib);
                    results.add(LoadLoop.runLocal("stub verify rpc (blocking)", callers, warmup, measure, () -> blocking.verify(verify)));
                    results.add(LoadLoop.runLocal("client verify (cached public key)", threads, warmup, measure,
                            () -> client.verify(s.keyId(), kib, s.signature())));
                    progress("client: envelope encrypt/decrypt 1KiB, warm data key");
                    EnvelopeEncryptor envelope = EnvelopeEncryptor.builder(client, aesId).build();
                    byte[] sealed = envelope.encrypt(kib, aad);
                    envelope.decrypt(sealed, aad);
                    results.add(LoadLoop.runLocal("envelope encrypt 1KiB (warm)", threads, warmup, measure, () -> envelope.encrypt(kib, aad)));
                    results.add(LoadLoop.runLocal("envelope decrypt 1KiB (warm)", threads, warmup, measure, () -> envelope.decrypt(sealed, aad)));
                }
            } finally {
                channel.shutdownNow();
            }
        }

        Map<String, Double> ratios = new LinkedHashMap<>();
        double empty = rate(results, "rpc empty (health check)");
        double encrypt = rate(results, "rpc encrypt 1KiB");
        ratios.put("sign rpc / empty rpc (target >= 0.8)", rate(results, "rpc sign es256") / empty);
        ratios.put("encrypt rpc / empty rpc (target >= 0.8)", encrypt / empty);
        ratios.put("batch items/s / single encrypt rpc/s (target >= 20)",
                find(results, "rpc batch encrypt 100x1KiB").map(LoadLoop.Result::itemsPerSecond).orElse(Double.NaN) / encrypt);
        ratios.put("envelope encrypt / raw aes-gcm (target >= 0.8)",
                rate(results, "envelope encrypt 1KiB (warm)") / rate(results, "aes-256-gcm 1KiB encrypt (SunJCE)"));
        ratios.put("envelope decrypt / raw aes-gcm encrypt", rate(results, "envelope decrypt 1KiB (warm)")
                / rate(results, "aes-256-gcm 1KiB encrypt (SunJCE)"));
        ratios.put("client sign overhead vs bare stub, % (target <= 10)",
                100 * (1 - rate(results, "client sign es256") / rate(results, "stub sign es256 (blocking)")));
        ratios.put("client cached verify / verify rpc", rate(results, "client verify (cached public key)")
                / rate(results, "stub verify rpc (blocking)"));
        if (providers.containsKey("accp")) {
            ratios.put("es256 sign accp / jdk", rate(results, "es256 sign (accp)") / rate(results, "es256 sign (jdk)"));
        }
        List<Row> rows = results.stream().map(r -> new Row(r.name(), r.opsPerSecond(), r.itemsPerSecond(), r.p50Micros(),
                r.p99Micros(), r.errors())).toList();
        return new Report(rows, ratios);
    }

    private static double rate(List<LoadLoop.Result> rs, String name) {
        return find(rs, name).map(LoadLoop.Result::opsPerSecond).orElse(Double.NaN);
    }

    private static Optional<LoadLoop.Result> find(List<LoadLoop.Result> rs, String name) {
        return rs.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    private void progress(String what) {
        out.println("... " + what);
        out.flush();
    }

    /** Prints the report as an aligned table followed by the ratios. */
    public static void print(Report report, PrintWriter out) {
        out.printf("%-40s %14s %14s %10s %10s %8s%n", "benchmark", "ops/s", "items/s", "p50 us", "p99 us", "errors");
        for (Row r : report.rows()) {
            out.printf("%-40s %,14.0f %,14.0f %10s %10s %8d%n", r.name(), r.opsPerSecond(), r.itemsPerSecond(),
                    Double.isNaN(r.p50Micros()) ? "-" : String.format("%.0f", r.p50Micros()),
                    Double.isNaN(r.p99Micros()) ? "-" : String.format("%.0f", r.p99Micros()), r.errors());
        }
        out.println();
        report.ratios().forEach((k, v) -> out.printf("%-55s %8.2f%n", k, v));
    }

    /** The report as JSON-ready maps (for {@code bench-results.json}). */
    public static Map<String, Object> toJson(Report report) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Row r : report.rows()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", r.name());
            row.put("ops_per_second", Math.round(r.opsPerSecond()));
            row.put("items_per_second", Math.round(r.itemsPerSecond()));
            if (!Double.isNaN(r.p50Micros())) {
                row.put("p50_us", Math.round(r.p50Micros()));
                row.put("p99_us", Math.round(r.p99Micros()));
            }
            row.put("errors", r.errors());
            rows.add(row);
        }
        m.put("rows", rows);
        Map<String, Object> ratios = new LinkedHashMap<>();
        report.ratios().forEach((k, v) -> ratios.put(k, Math.round(v * 100) / 100.0));
        m.put("ratios", ratios);
        return m;
    }
}
