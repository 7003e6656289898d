package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.keys.KeyOperations;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.Generate;

/**
 * T14 — rate limiting enforcement. With a limit of N calls per period, any sequence of calls in
 * one period has its first N admitted and every further one rejected at once with RATE_LIMITED,
 * counted in {@code keyline_client_rate_limited_total}, without any RPC.
 */
class RateLimiterPropertyTest {
    private static final byte[] AAD = "aad".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static KeyId aesKey;
    static KeyId ecKey;
    static EncryptResult sealed;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        aesKey = fx.newKey("rl", KeyAlgorithm.AES_256_GCM);
        ecKey = fx.newKey("rl", KeyAlgorithm.ECDSA_P256_SHA256);
        KeyOperations.Encrypted e = fx.server.operations().encrypt(aesKey, "p".getBytes(StandardCharsets.UTF_8), AAD);
        sealed = EncryptResult.of(e.keyId(), e.ciphertext());
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    enum Op { DECRYPT, ENCRYPT, SIGN, METADATA, PUBLIC_KEY }

    @Test
    void anyCallSequence_overTheLimit_rejectsTheExcessWithRateLimitedAndNoRpc() {
        Examples examples = new Examples();
        Examples.qt().forAll(integers().between(1, 12), lists().of(Generate.enumValues(Op.class)).ofSizeBetween(0, 25)).checkAssert((limit, ops) -> {
            examples.ran();
            fx.faults.reset();
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            CryptoClientConfig config = fx.config().rateLimit(limit, Duration.ofHours(1)).build();
            try (CryptoClient client = fx.client(config, InstantSource.system(), meters)) {
                int admitted = 0;
                int rejected = 0;
                for (Op op : ops) {
                    int before = fx.faults.total();
                    CryptoException e = catchThrowableOfType(CryptoException.class, () -> {
                        switch (op) {
                            case DECRYPT -> client.decrypt(sealed, AAD);
                            case ENCRYPT -> client.encrypt(aesKey, AAD, AAD);
                            case SIGN -> client.sign(ecKey, AAD);
                            case METADATA -> client.getKeyMetadata(aesKey);
                            case PUBLIC_KEY -> client.getPublicKey(ecKey);
                        }
                    });
                    if (admitted < limit) {
                        assertThat(e).as("call %d of %s with limit %d", admitted + rejected + 1, ops, limit).isNull();
                        admitted++;
                    } else {
                        assertThat(e).isNotNull();
                        assertThat(e.reason()).isEqualTo(Reason.RATE_LIMITED);
                        assertThat(e.correlationId()).isNotEmpty();
                        assertThat(fx.faults.total()).as("a rejected call never reaches the network").isEqualTo(before);
                        rejected++;
                    }
                }
                assertThat(admitted).isEqualTo(Math.min(limit, ops.size()));
                double counted = meters.find("keyline.client.rate.limited").counters().stream().mapToDouble(c -> c.count()).sum();
                assertThat(counted).isEqualTo(rejected);
            }
        });
        examples.assertEnough();
    }

    @Test
    void rateLimit_afterThePeriod_admitsCallsAgain() throws InterruptedException {
        try (CryptoClient client = fx.client(fx.config().rateLimit(2, Duration.ofMillis(200)).build())) {
            client.decrypt(sealed, AAD);
            client.decrypt(sealed, AAD);
            assertThat(catchThrowableOfType(CryptoException.class, () -> client.decrypt(sealed, AAD)).reason()).isEqualTo(Reason.RATE_LIMITED);
            // The limiter has no clock hook in Resilience4j: this one test waits a real period.
            Thread.sleep(250);
            assertThat(client.decrypt(sealed, AAD)).isEqualTo("p".getBytes(StandardCharsets.UTF_8));
        }
    }
}
