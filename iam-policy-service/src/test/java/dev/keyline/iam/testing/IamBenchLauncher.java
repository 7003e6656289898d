package dev.keyline.iam.testing;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.bench.IamBench;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Runs {@link IamBench} against a real crypto service on loopback in this JVM and the local Redis.
 * Not a test: {@code java -cp <test classpath> dev.keyline.iam.testing.IamBenchLauncher [threads] [seconds]}.
 */
public final class IamBenchLauncher {
    private IamBenchLauncher() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("iam-bench");
        try (CryptoFixture crypto = CryptoFixture.start(dir.resolve("crypto")); CryptoClient client = crypto.client()) {
            KeyId enc = KeyId.of("iam", "decision-cache");
            KeyId sig = KeyId.of("iam", "decision-signing");
            client.generateKey(enc, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
            client.generateKey(sig, KeyAlgorithm.ECDSA_P256_SHA256, Duration.ZERO);
            IamBench.run(new IamBench.Options(PolicyDirs.demo(dir), Optional.of(client), enc, sig, Optional.of(Redis.URL), threads,
                    Duration.ofSeconds(2), Duration.ofSeconds(seconds)), new PrintWriter(System.out, true));
        }
    }
}
