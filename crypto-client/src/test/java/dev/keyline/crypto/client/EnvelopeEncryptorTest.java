package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testing.MutableClock;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Envelope encryption: round trips (I1) and AAD binding / tamper detection (I2) as properties;
 * key rotation, fallback-wrapped envelopes, single-flight data-key fetches, the data-key limits
 * and the decryption cache as examples. RPCs are counted by the server interceptor.
 */
class EnvelopeEncryptorTest {
    @TempDir
    static Path dir;
    static ClientFixture fx;
    static CryptoClient client;
    static KeyId key;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        client = fx.client(fx.config().build());
        key = fx.newKey("env", KeyAlgorithm.AES_256_GCM);
    }

    @AfterAll
    static void stop() {
        client.close();
        fx.close();
    }

    @BeforeEach
    void clean() {
        fx.faults.reset();
    }

    static Gen<byte[]> bytes(int max) {
        return Generate.byteArrays(integers().between(0, max), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
    }

    private static EnvelopeEncryptor.Builder envelopes(CryptoClient c) {
        return EnvelopeEncryptor.builder(c, key).meterRegistry(new SimpleMeterRegistry());
    }

    private static byte[] header(byte[] envelope) {
        return Arrays.copyOf(envelope, EnvelopeFormat.parse(envelope).headerLength());
    }

    @Test
    void encryptThenDecrypt_anyPlaintextAndAad_roundTripsHereAndOnAnotherReplica() {
        Examples examples = new Examples();
        EnvelopeEncryptor writer = envelopes(client).build();
        try (CryptoClient otherClient = fx.client(fx.config().build())) {
            EnvelopeEncryptor otherReplica = envelopes(otherClient).build();
            Examples.qt().forAll(bytes(2048), bytes(64)).checkAssert((plaintext, aad) -> {
                examples.ran();
                byte[] env = writer.encrypt(plaintext, aad);
                assertThat(env.length).isLessThanOrEqualTo(plaintext.length + 120);
                assertThat(writer.decrypt(env, aad)).isEqualTo(plaintext);
                assertThat(otherReplica.decrypt(env, aad)).isEqualTo(plaintext);
            });
        }
        examples.assertEnough();
        assertThat(fx.faults.count("GenerateDataKey")).as("one data key for all of them").isEqualTo(1);
        assertThat(fx.faults.count("Decrypt")).as("the other replica unwrapped it once").isEqualTo(1);
    }

    @Test
    void decrypt_anyOtherAadOrAnyChangedByte_failsWithDecryptionFailed() {
        Examples examples = new Examples();
        EnvelopeEncryptor e = envelopes(client).build();
        Examples.qt().forAll(bytes(256), bytes(32), bytes(32), integers().between(0, 10_000)).checkAssert((plaintext, aad, otherAad, where) -> {
            examples.ran();
            byte[] env = e.encrypt(plaintext, aad);
            if (!Arrays.equals(aad, otherAad)) {
                CryptoException wrongAad = catchThrowableOfType(CryptoException.class, () -> e.decrypt(env, otherAad));
                assertThat(wrongAad).isNotNull();
                assertThat(wrongAad.reason()).isEqualTo(Reason.DECRYPTION_FAILED);
            }
            byte[] tampered = env.clone();
            tampered[where % tampered.length] ^= (byte) (1 + where % 255);
            CryptoException changed = catchThrowableOfType(CryptoException.class, () -> e.decrypt(tampered, aad));
            assertThat(changed).as("byte %d of %d changed", where % env.length, env.length).isNotNull();
            assertThat(changed.reason()).isIn(Reason.DECRYPTION_FAILED, Reason.KEY_NOT_FOUND, Reason.INVALID_ARGUMENT,
                    Reason.PERMISSION_DENIED);
            CryptoException truncated = catchThrowableOfType(CryptoException.class,
                    () -> e.decrypt(Arrays.copyOf(env, where % env.length), aad));
            assertThat(truncated).isNotNull();
        });
        examples.assertEnough();
    }

    /**
     * A wrong AAD and a tampered envelope fail alike, with DECRYPTION_FAILED and the same message:
     * the envelope carries no AAD digest (it would let anyone holding an envelope test guesses of a
     * low-entropy AAD offline), so nothing can tell them apart and AAD_MISMATCH is never raised.
     */
    @Test
    void decrypt_withWrongAad_failsExactlyAsATamperedTag_neverAadMismatch() {
        EnvelopeEncryptor e = envelopes(client).build();
        byte[] aad = "subject:alice|resource:doc-7".getBytes(StandardCharsets.UTF_8);
        byte[] env = e.encrypt("decision".getBytes(StandardCharsets.UTF_8), aad);
        byte[] tamperedTag = env.clone();
        tamperedTag[tamperedTag.length - 1] ^= 0x01;

        CryptoException wrongAad = catchThrowableOfType(CryptoException.class,
                () -> e.decrypt(env, "subject:mallory|resource:doc-7".getBytes(StandardCharsets.UTF_8)));
        CryptoException tampered = catchThrowableOfType(CryptoException.class, () -> e.decrypt(tamperedTag, aad));

        assertThat(wrongAad.reason()).isEqualTo(Reason.DECRYPTION_FAILED).isNotEqualTo(Reason.AAD_MISMATCH);
        assertThat(tampered.reason()).isEqualTo(wrongAad.reason());
        assertThat(tampered.getMessage()).isEqualTo(wrongAad.getMessage());
    }

    @Test
    void decrypt_envelopeWrittenBeforeRotation_stillDecryptsAfterIt() {
        KeyId rotating = fx.newKey("env", KeyAlgorithm.AES_256_GCM);
        MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        byte[] aad = "family-42".getBytes(StandardCharsets.UTF_8);
        try (CryptoClient c = fx.client(fx.config().keyMetadataTtl(Duration.ofSeconds(30)).build(), clock, new SimpleMeterRegistry())) {
            EnvelopeEncryptor e = EnvelopeEncryptor.builder(c, rotating).clock(clock).maxAge(Duration.ofMinutes(1))
                    .refreshBefore(Duration.ZERO).meterRegistry(new SimpleMeterRegistry()).build();
            byte[] before = e.encrypt("old".getBytes(StandardCharsets.UTF_8), aad);
            fx.rotate(rotating);
            clock.advance(Duration.ofMinutes(2));
            byte[] after = e.encrypt("new".getBytes(StandardCharsets.UTF_8), aad);
            assertThat(EnvelopeEncryptor.describe(before).wrappingKeyId()).isEqualTo(rotating.withVersion(1));
            assertThat(EnvelopeEncryptor.describe(after).wrappingKeyId()).isEqualTo(rotating.withVersion(2));
            EnvelopeEncryptor fresh = EnvelopeEncryptor.builder(c, rotating).meterRegistry(new SimpleMeterRegistry()).build();
            assertThat(fresh.decrypt(before, aad)).isEqualTo("old".getBytes(StandardCharsets.UTF_8));
            assertThat(fresh.decrypt(after, aad)).isEqualTo("new".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void decrypt_envelopeWrappedUnderFallbackKey_decryptsLocallyAfterTheServiceIsBack() {
        CryptoClientConfig config = fx.config().fallbackEnabled(true).fallbackMode(CryptoClientConfig.FallbackMode.DEVELOPMENT)
                .circuitBreaker(100f, 1, 1, Duration.ofHours(1), 1).build();
        byte[] aad = "decision:alice:doc-7".getBytes(StandardCharsets.UTF_8);
        MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        try (CryptoClient c = fx.client(config, clock, new SimpleMeterRegistry())) {
            EnvelopeEncryptor e = EnvelopeEncryptor.builder(c, key).meterRegistry(new SimpleMeterRegistry()).build();
            fx.faults.always(FaultInjector.status(Status.UNAVAILABLE));
            byte[] during = e.encrypt("while down".getBytes(StandardCharsets.UTF_8), aad);
            byte[] during2 = e.encrypt("still down".getBytes(StandardCharsets.UTF_8), aad);
            assertThat(EnvelopeEncryptor.describe(during).fallback()).isTrue();
            assertThat(EnvelopeEncryptor.describe(during).wrappingKeyId().namespace()).isEqualTo("keyline-fallback");
            assertThat(header(during)).as("fallback data keys are per message").isNotEqualTo(header(during2));
            fx.faults.clearFaults();
            clock.advance(Duration.ofHours(2));
            int rpcs = fx.faults.total();
            assertThat(e.decrypt(during, aad)).isEqualTo("while down".getBytes(StandardCharsets.UTF_8));
            assertThat(fx.faults.total()).as("fallback envelopes open without the service").isEqualTo(rpcs);
            byte[] after = e.encrypt("back".getBytes(StandardCharsets.UTF_8), aad);
            assertThat(EnvelopeEncryptor.describe(after).fallback()).isFalse();
            assertThat(e.decrypt(during2, aad)).isEqualTo("still down".getBytes(StandardCharsets.UTF_8));
            assertThat(e.decrypt(after, aad)).isEqualTo("back".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void encrypt_manyThreadsMissAtOnce_fetchExactlyOneDataKey() throws Exception {
        EnvelopeEncryptor e = envelopes(client).build();
        client.getKeyMetadata(key);
        fx.faults.reset();
        // Slow the fetch down so that every thread arrives while it runs.
        fx.faults.always(FaultInjector.delay(Duration.ofMillis(150), "GenerateDataKey"));
        int threads = 24;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<byte[]>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                byte[] pt = ("message " + i).getBytes(StandardCharsets.UTF_8);
                results.add(pool.submit(() -> {
                    go.await();
                    return e.encrypt(pt, new byte[0]);
                }));
            }
            go.countDown();
            Set<String> headers = new HashSet<>();
            for (int i = 0; i < threads; i++) {
                byte[] env = results.get(i).get();
                headers.add(Arrays.toString(header(env)));
                assertThat(e.decrypt(env, new byte[0])).isEqualTo(("message " + i).getBytes(StandardCharsets.UTF_8));
            }
            assertThat(headers).as("all under one data key").hasSize(1);
        }
        assertThat(fx.faults.count("GenerateDataKey")).isEqualTo(1);
    }

    @Test
    void encrypt_maxMessagesReached_fetchesANewDataKey() {
        EnvelopeEncryptor e = envelopes(client).maxMessages(3).build();
        List<byte[]> envs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            envs.add(e.encrypt(new byte[] {(byte) i}, new byte[0]));
        }
        assertThat(fx.faults.count("GenerateDataKey")).isEqualTo(3);
        assertThat(header(envs.get(0))).isEqualTo(header(envs.get(2))).isNotEqualTo(header(envs.get(3)));
        assertThat(header(envs.get(3))).isEqualTo(header(envs.get(5))).isNotEqualTo(header(envs.get(6)));
    }

    @Test
    void encrypt_maxBytesReached_fetchesANewDataKey_andOversizedMessagesGetTheirOwn() {
        EnvelopeEncryptor e = envelopes(client).maxBytes(100).build();
        byte[] a = e.encrypt(new byte[40], new byte[0]);
        byte[] b = e.encrypt(new byte[40], new byte[0]);
        byte[] c = e.encrypt(new byte[40], new byte[0]);
        assertThat(header(a)).isEqualTo(header(b)).isNotEqualTo(header(c));
        byte[] big = e.encrypt(new byte[150], new byte[0]);
        byte[] d = e.encrypt(new byte[10], new byte[0]);
        assertThat(header(big)).isNotEqualTo(header(c)).isNotEqualTo(header(d));
        assertThat(header(d)).isEqualTo(header(c));
        assertThat(fx.faults.count("GenerateDataKey")).isEqualTo(3);
        assertThat(e.decrypt(big, new byte[0])).hasSize(150);
    }

    @Test
    void encrypt_maxAgeReached_fetchesANewDataKey_andRefreshesAheadOfExpiry() {
        MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        EnvelopeEncryptor e = envelopes(client).clock(clock).maxAge(Duration.ofSeconds(60)).refreshBefore(Duration.ofSeconds(10)).build();
        byte[] first = e.encrypt(new byte[1], new byte[0]);
        clock.advance(Duration.ofSeconds(45));
        byte[] stillFirst = e.encrypt(new byte[1], new byte[0]);
        assertThat(header(stillFirst)).isEqualTo(header(first));
        assertThat(fx.faults.count("GenerateDataKey")).isEqualTo(1);
        clock.advance(Duration.ofSeconds(6));
        byte[] inWindow = e.encrypt(new byte[1], new byte[0]);
        assertThat(fx.faults.count("GenerateDataKey")).as("refresh started 10 s before expiry").isEqualTo(2);
        assertThat(header(inWindow)).as("the caller that refreshed still used the current key").isEqualTo(header(first));
        byte[] next = e.encrypt(new byte[1], new byte[0]);
        assertThat(header(next)).isNotEqualTo(header(first));
        clock.advance(Duration.ofSeconds(61));
        byte[] afterExpiry = e.encrypt(new byte[1], new byte[0]);
        assertThat(header(afterExpiry)).isNotEqualTo(header(next));
        assertThat(fx.faults.count("GenerateDataKey")).isEqualTo(3);
    }

    @Test
    void decrypt_manyEnvelopesOfOneDataKey_unwrapsItOnceAndCachesIt() {
        EnvelopeEncryptor writer = envelopes(client).build();
        List<byte[]> envs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            envs.add(writer.encrypt(("m" + i).getBytes(StandardCharsets.UTF_8), new byte[0]));
        }
        try (CryptoClient other = fx.client(fx.config().build())) {
            EnvelopeEncryptor reader = envelopes(other).build();
            fx.faults.reset();
            for (int i = 0; i < 10; i++) {
                assertThat(reader.decrypt(envs.get(i), new byte[0])).isEqualTo(("m" + i).getBytes(StandardCharsets.UTF_8));
            }
            assertThat(fx.faults.count("Decrypt")).isEqualTo(1);
            assertThat(fx.faults.total()).isEqualTo(1);
        }
    }

    @Test
    void decrypt_otherEnvelopeContext_failsToUnwrap() {
        EnvelopeEncryptor tokens = envelopes(client).context("token-families").build();
        EnvelopeEncryptor decisions = envelopes(client).context("iam-decisions").build();
        byte[] env = tokens.encrypt("x".getBytes(StandardCharsets.UTF_8), new byte[0]);
        CryptoException e = catchThrowableOfType(CryptoException.class, () -> decisions.decrypt(env, new byte[0]));
        assertThat(e.reason()).isEqualTo(Reason.DECRYPTION_FAILED);
        assertThat(e.correlationId()).isNotEmpty();
    }

    @Test
    void decrypt_unknownFormatVersionOrGarbage_failsWithDecryptionFailed() {
        EnvelopeEncryptor e = envelopes(client).build();
        byte[] env = e.encrypt("x".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(env[0]).isEqualTo((byte) 1);
        byte[] v2 = env.clone();
        v2[0] = 2;
        assertThat(catchThrowableOfType(CryptoException.class, () -> e.decrypt(v2, new byte[0])).getMessage()).contains("version 2");
        byte[] flags = env.clone();
        flags[1] = (byte) 0x80;
        assertThat(catchThrowableOfType(CryptoException.class, () -> e.decrypt(flags, new byte[0])).reason()).isEqualTo(Reason.DECRYPTION_FAILED);
        for (byte[] garbage : List.of(new byte[0], new byte[] {1}, new byte[] {1, 0, (byte) 200}, "not an envelope".getBytes(StandardCharsets.UTF_8))) {
            assertThat(catchThrowableOfType(CryptoException.class, () -> e.decrypt(garbage, new byte[0])).reason())
                    .isEqualTo(Reason.DECRYPTION_FAILED);
        }
    }

    @Test
    void builder_invalidLimits_failWithOneInvalidConfigNamingEach() {
        CryptoException e = catchThrowableOfType(CryptoException.class, () -> EnvelopeEncryptor.builder(client, key)
                .maxAge(Duration.ZERO).maxMessages(0).maxBytes(-1).build());
        assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIG);
        assertThat(e.getMessage()).contains("maxAge:").contains("maxMessages:").contains("maxBytes:").contains("refreshBefore:");
    }

    @Test
    void of_configWithEncryptionKey_usesItsLimits() {
        CryptoClientConfig config = fx.config().encryptionKeyId(key.toString())
                .dataKeyLimits(Duration.ofMinutes(1), 2, 1000, Duration.ZERO).build();
        EnvelopeEncryptor e = EnvelopeEncryptor.of(client, config);
        e.encrypt(new byte[1], new byte[0]);
        e.encrypt(new byte[1], new byte[0]);
        e.encrypt(new byte[1], new byte[0]);
        assertThat(fx.faults.count("GenerateDataKey")).isEqualTo(2);
    }
}
