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
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code keyline bench crypto}: in-process primitive rates per provider, then RPC rates against a
 * crypto service on a loopback port, all in one run on this machine, with the ratios that have
 * targets. The service runs in the same JVM as the load generator (both share the cores).
 */
final class CryptoBench {
    static final String NAME = "crypto";
    static final String SCOPE = "crypto service and client library";

    private final Duration warmup;
    private final Duration measure;
    private final int concurrency;
    private final Progress progress;

    CryptoBench(Duration warmup, Duration measure, int concurrency, Progress progress) {
        this.warmup = warmup;
        this.measure = measure;
        this.concurrency = concurrency;
        this.progress = progress;
    }

    /** Alternating rounds of the service's RPC rows; each row keeps its best round. */
    static final int RPC_ROUNDS = 3;

    Suite run() throws InterruptedException {
        List<String> notes = new ArrayList<>();
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
            notes.add("native provider (ACCP) unavailable: " + e.getMessage());
            progress.step("native provider unavailable, measuring the JDK provider only");
        }
        AesGcm jdkAes = AesGcm.of(SecretBytes.copyOf(aesKey), CryptoProviders.jdkOnly().aead());
        // IVs from the generator the service and the envelope encryptor use, so the raw rows they
        // are compared against carry no avoidable cost of their own.
        SecureRandom ivs = CryptoProviders.defaults().secureRandom();
        results.add(LoadLoop.runLocal("aes-256-gcm 1KiB encrypt (SunJCE)", threads, warmup, measure,
                () -> jdkAes.encrypt(kib, aad, ivs)));
        var jdkSealed = jdkAes.encrypt(kib, aad, random);
        results.add(LoadLoop.runLocal("aes-256-gcm 1KiB decrypt (SunJCE)", threads, warmup, measure,
                () -> jdkAes.decrypt(jdkSealed, aad)));
        java.security.Provider accp = providers.containsKey("accp")
                ? providers.get("accp").forAlgorithm(KeyAlgorithm.ECDSA_P256_SHA256) : null;
        if (accp != null) {
            AesGcm nativeAes = AesGcm.of(SecretBytes.copyOf(aesKey), accp);
            results.add(LoadLoop.runLocal("aes-256-gcm 1KiB encrypt (ACCP)", threads, warmup, measure,
                    () -> nativeAes.encrypt(kib, aad, ivs)));
        }
        for (var e : providers.entrySet()) {
            SigningKey key = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, random, e.getValue());
            byte[] sig = key.sign(kib);
            results.add(LoadLoop.runLocal("es256 sign (" + e.getKey() + ")", threads, warmup, measure, () -> key.sign(kib)));
            results.add(LoadLoop.runLocal("es256 verify (" + e.getKey() + ")", threads, warmup, measure,
                    () -> key.verifyingKey().verify(kib, sig)));
        }

        progress("starting a crypto service on loopback");
        try (ScratchDir dir = ScratchDir.create("keyline-bench-crypto");
                CryptoServer server = CryptoServer.start(CryptoServiceConfig.defaults(dir.path()).grpcPort(0).httpPort(0).build(),
                        new CryptoServer.Network(), false, java.time.InstantSource.system())) {
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

                // The JIT needs far longer than one row's warm-up to compile the whole RPC stack on
                // two cores (rates keep rising for ~15 s): run every RPC row's call first, so rows
                // measured early are not penalised against rows measured late.
                progress("warming up the RPC paths");
                int callers = Math.min(concurrency, 32);
                dev.keyline.crypto.core.keys.KeyId esId = dev.keyline.crypto.core.keys.KeyId.of("bench", "es256");
                dev.keyline.crypto.core.keys.KeyId aesId = dev.keyline.crypto.core.keys.KeyId.of("bench", "aes");
                try (CryptoClient client = CryptoClientFactory.create(CryptoClientConfig.builder()
                        .endpoint("127.0.0.1:" + server.grpcPort()).authToken(token).build())) {
                    Duration jitWarmup = warmup;
                    for (int round = 0; round < 2; round++) {
                        LoadLoop.run("warm-up", concurrency, jitWarmup, Duration.ZERO, 1, () -> health.check(ping));
                        LoadLoop.run("warm-up", concurrency, jitWarmup, Duration.ZERO, 1, () -> async.encrypt(enc));
                        LoadLoop.run("warm-up", concurrency, jitWarmup, Duration.ZERO, 1, () -> async.sign(sign));
                        LoadLoop.run("warm-up", concurrency, jitWarmup, Duration.ZERO, 1, () -> async.verify(verify));
                        LoadLoop.run("warm-up", Math.max(2, concurrency / 8), jitWarmup, Duration.ZERO, 100, () -> async.batchEncrypt(batch100));
                        LoadLoop.runLocal("warm-up", callers, jitWarmup, Duration.ZERO, () -> client.sign(esId, kib));
                    }

                    // The rows whose ratios have targets, in alternating rounds (best of each): on a
                    // shared 2-core machine throughput drifts by tens of percent within a minute, and
                    // rows measured minutes apart would compare the drift, not the calls.
                    LoadLoop.Result empty = null;
                    LoadLoop.Result encrypt = null;
                    LoadLoop.Result signRpc = null;
                    LoadLoop.Result verifyRpc = null;
                    LoadLoop.Result batchRpc = null;
                    Duration roundWarmup = warmup.dividedBy(2);
                    Duration roundMeasure = measure.dividedBy(2);
                    for (int round = 1; round <= RPC_ROUNDS; round++) {
                        progress("rpc round " + round + "/" + RPC_ROUNDS + ": empty, encrypt 1KiB, sign es256, verify es256, batch encrypt 100 x 1KiB");
                        empty = LoadLoop.best(empty, LoadLoop.run("rpc empty (health check)", concurrency, roundWarmup, roundMeasure, 1,
                                () -> health.check(ping)));
                        encrypt = LoadLoop.best(encrypt, LoadLoop.run("rpc encrypt 1KiB", concurrency, roundWarmup, roundMeasure, 1,
                                () -> async.encrypt(enc)));
                        signRpc = LoadLoop.best(signRpc, LoadLoop.run("rpc sign es256", concurrency, roundWarmup, roundMeasure, 1,
                                () -> async.sign(sign)));
                        verifyRpc = LoadLoop.best(verifyRpc, LoadLoop.run("rpc verify es256", concurrency, roundWarmup, roundMeasure, 1,
                                () -> async.verify(verify)));
                        batchRpc = LoadLoop.best(batchRpc, LoadLoop.run("rpc batch encrypt 100x1KiB", Math.max(2, concurrency / 8),
                                roundWarmup, roundMeasure, 100, () -> async.batchEncrypt(batch100)));
                    }
                    results.add(empty);
                    results.add(encrypt);
                    results.add(signRpc);
                    results.add(verifyRpc);
                    results.add(batchRpc);

                    // The client library against the bare stub, both blocking, with the same number of
                    // threads, in alternating rounds (best of each), so drift in the machine's load
                    // does not land on one side only.
                    progress("client: sign es256 vs bare stub");
                    LoadLoop.Result stub = null;
                    LoadLoop.Result viaClient = null;
                    for (int round = 0; round < 3; round++) {
                        stub = LoadLoop.best(stub, LoadLoop.runLocal("stub sign es256 (blocking)", callers, warmup.dividedBy(2), measure,
                                () -> blocking.sign(sign)));
                        viaClient = LoadLoop.best(viaClient, LoadLoop.runLocal("client sign es256", callers, warmup.dividedBy(2), measure,
                                () -> client.sign(esId, kib)));
                    }
                    results.add(stub);
                    results.add(viaClient);
                    progress("client: verify with cached public key vs Verify rpc");
                    dev.keyline.crypto.client.SignResult s = client.sign(esId, kib);
                    results.add(LoadLoop.runLocal("stub verify rpc (blocking)", callers, warmup, measure, () -> blocking.verify(verify)));
                    results.add(LoadLoop.runLocal("client verify (cached public key)", threads, warmup, measure,
                            () -> client.verify(s.keyId(), kib, s.signature())));
                    progress("client: envelope encrypt/decrypt 1KiB, warm data key");
                    EnvelopeEncryptor envelope = EnvelopeEncryptor.builder(client, aesId).build();
                    byte[] sealed = envelope.encrypt(kib, aad);
                    envelope.decrypt(sealed, aad);
                    // Against raw AES-GCM measured beside it, in alternating rounds (best of each), so
                    // both sides of the ratio see the same JVM and machine state.
                    LoadLoop.Result rawEnc = null;
                    LoadLoop.Result envEnc = null;
                    LoadLoop.Result rawDec = null;
                    LoadLoop.Result envDec = null;
                    for (int round = 0; round < 2; round++) {
                        rawEnc = LoadLoop.best(rawEnc, LoadLoop.runLocal("aes-256-gcm 1KiB encrypt (SunJCE, beside envelope)", threads,
                                warmup.dividedBy(2), measure.dividedBy(2), () -> jdkAes.encrypt(kib, aad, ivs)));
                        envEnc = LoadLoop.best(envEnc, LoadLoop.runLocal("envelope encrypt 1KiB (warm)", threads, warmup.dividedBy(2),
                                measure.dividedBy(2), () -> envelope.encrypt(kib, aad)));
                        rawDec = LoadLoop.best(rawDec, LoadLoop.runLocal("aes-256-gcm 1KiB decrypt (SunJCE, beside envelope)", threads,
                                warmup.dividedBy(2), measure.dividedBy(2), () -> jdkAes.decrypt(jdkSealed, aad)));
                        envDec = LoadLoop.best(envDec, LoadLoop.runLocal("envelope decrypt 1KiB (warm)", threads, warmup.dividedBy(2),
                                measure.dividedBy(2), () -> envelope.decrypt(sealed, aad)));
                    }
                    results.add(rawEnc);
                    results.add(envEnc);
                    results.add(rawDec);
                    results.add(envDec);
                }
            } finally {
                channel.shutdownNow();
            }
        }

        // The service's and the client library's ratios, with their targets.
        List<Check> checks = new ArrayList<>();
        double empty = rate(results, "rpc empty (health check)");
        double encrypt = rate(results, "rpc encrypt 1KiB");
        checks.add(Check.atLeast("sign rpc / empty rpc", rate(results, "rpc sign es256") / empty, "", 0.8));
        checks.add(Check.atLeast("encrypt rpc / empty rpc", encrypt / empty, "", 0.8));
        checks.add(Check.atLeast("batch items/s / single encrypt rpc/s",
                find(results, "rpc batch encrypt 100x1KiB").map(LoadLoop.Result::itemsPerSecond).orElse(Double.NaN) / encrypt, "", 20));
        checks.add(Check.atLeast("envelope encrypt / raw aes-gcm encrypt",
                rate(results, "envelope encrypt 1KiB (warm)") / rate(results, "aes-256-gcm 1KiB encrypt (SunJCE, beside envelope)"), "",
                0.8));
        checks.add(Check.atLeast("envelope decrypt / raw aes-gcm decrypt",
                rate(results, "envelope decrypt 1KiB (warm)") / rate(results, "aes-256-gcm 1KiB decrypt (SunJCE, beside envelope)"), "",
                0.8));
        checks.add(Check.atMost("client sign overhead vs bare stub",
                100 * (1 - rate(results, "client sign es256") / rate(results, "stub sign es256 (blocking)")), "%", 10));
        checks.add(Check.info("client cached verify / verify rpc", rate(results, "client verify (cached public key)")
                / rate(results, "stub verify rpc (blocking)"), ""));
        if (providers.containsKey("accp")) {
            checks.add(Check.info("es256 sign accp / jdk", rate(results, "es256 sign (accp)") / rate(results, "es256 sign (jdk)"), ""));
        }
        notes.add("crypto service on loopback gRPC in this JVM; RPC load with " + concurrency + " calls in flight; in-process rows on "
                + threads + " threads");
        List<Row> rows = results.stream().map(r -> new Row(r.name(), r.opsPerSecond(), r.itemsPerSecond(), r.p50Micros(),
                r.p99Micros(), r.errors())).toList();
        return new Suite(NAME, SCOPE, rows, checks, notes);
    }

    private static double rate(List<LoadLoop.Result> rs, String name) {
        return find(rs, name).map(LoadLoop.Result::opsPerSecond).orElse(Double.NaN);
    }

    private static Optional<LoadLoop.Result> find(List<LoadLoop.Result> rs, String name) {
        return rs.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    private void progress(String what) {
        progress.step(what);
    }
}
