package dev.keyline.platform.bench;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.policy.DemoPolicies;
import dev.keyline.testsupport.CryptoServiceFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Runs {@link IamBench} against a real crypto service on loopback in this JVM and the local Redis.
 * Not a test: {@code java -cp <test classpath> dev.keyline.platform.bench.IamBenchLauncher [threads] [seconds]}.
 */
public final class IamBenchLauncher {
    private IamBenchLauncher() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("iam-bench");
        Path policies = dir.resolve("policies");
        DemoPolicies.installIfAbsent(policies);
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
                CryptoClient client = CryptoClientFactory.builder(CryptoClientConfig.builder().clientName("iam-bench").endpoint(crypto.endpoint())
                        .authToken(crypto.callerToken("iam", "iam:sign,verify,read,encrypt,decrypt,data-key,manage"))
                        .timeout(Duration.ofSeconds(5)).encryptionKeyId("iam/decision-cache").signingKeyId("iam/decision-signing")
                        .callerHasFallback(true).envelopeContext("keyline-iam-decision-cache").build()).meterRegistry(new SimpleMeterRegistry()).build()) {
            KeyId enc = KeyId.of("iam", "decision-cache");
            KeyId sig = KeyId.of("iam", "decision-signing");
            client.generateKey(enc, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
            client.generateKey(sig, KeyAlgorithm.ECDSA_P256_SHA256, Duration.ZERO);
            IamBench.run(new IamBench.Options(policies, Optional.of(client), enc, sig, Optional.of("redis://127.0.0.1:6379"), threads,
                    Duration.ofSeconds(2), Duration.ofSeconds(seconds)), new PrintWriter(System.out, true));
        }
    }
}
