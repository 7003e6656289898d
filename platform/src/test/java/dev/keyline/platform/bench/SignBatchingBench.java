package dev.keyline.platform.bench;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.server.TokenServer;
import dev.keyline.token.server.TokenServerConfig;
import io.micrometer.core.instrument.DistributionSummary;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Not a test: a main that measures token issuance through the crypto service with and without
 * sign batching, like {@code keyline bench token} (load generator, token service and crypto
 * service in one JVM, loopback gRPC, crypto signer, fallback key, default client settings). One
 * configuration per JVM, so that runs can alternate and share nothing:
 *
 * <pre>
 * ./mvnw -q -o -pl platform dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/cp.txt
 * java -cp platform/target/test-classes:platform/target/classes:$(cat /tmp/cp.txt) \
 *     dev.keyline.platform.bench.SignBatchingBench PT0S 64 32 PT10S PT5S      # linger, max items, connections, measure, warm-up
 * </pre>
 */
public final class SignBatchingBench {
    private SignBatchingBench() {
    }

    public static void main(String[] args) throws Exception {
        Duration linger = Duration.parse(args[0]);
        int maxItems = Integer.parseInt(args[1]);
        int concurrency = Integer.parseInt(args[2]);
        Duration measure = Duration.parse(args[3]);
        Duration warmup = Duration.parse(args[4]);
        Path dir = Files.createTempDirectory("keyline-sign-batching-bench");
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"))) {
            crypto.server().keys().ensure(KeyId.of("token", "jwt-signing"), KeyAlgorithm.ECDSA_P256_SHA256);
            TokenServerConfig config = TokenServers.config(crypto, dir)
                    .keyPublishDelay(Duration.ZERO)
                    .crypto(TokenServers.clientConfig(crypto).signBatching(maxItems, linger).build())
                    .build();
            try (TokenServer server = TokenServer.start(config)) {
                TokenLoad.Result r = TokenLoad.run(new TokenLoad.Options(URI.create(server.baseUrl() + "/oauth2/token"), TokenServers.CLIENT,
                        TokenServers.SECRET, concurrency, measure, warmup, -1));
                DistributionSummary batches = server.meters().find("keyline.client.sign.batch.size").summary();
                double viaCrypto = server.meters().find("keyline_token_access_tokens_total").tag("signer", "crypto").counter() == null ? 0
                        : server.meters().find("keyline_token_access_tokens_total").tag("signer", "crypto").counter().count();
                double all = server.meters().find("keyline_token_access_tokens_total").counters().stream().mapToDouble(c -> c.count()).sum();
                System.out.println(String.format(Locale.ROOT, "linger=%s max_items=%d connections=%d %s batches=%d mean_batch=%.1f"
                        + " signed_by_crypto=%.0f/%.0f loadavg_at_end=%s", linger, maxItems, concurrency, r.toText(),
                        batches == null ? 0 : batches.count(), batches == null ? 0 : batches.mean(), viaCrypto, all,
                        Files.readString(Path.of("/proc/loadavg")).trim()));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
