package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * T6 — key metadata caching; I7 — key version backward compatibility; and the public-key cache
 * that makes asymmetric verification local. Time is a {@link MutableClock}.
 */
class KeyCachePropertyTest {
    private static final Duration TTL = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static ClientFixture fx;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    enum Event { GET, SIGN, ROTATE_ELSEWHERE, ADVANCE_SHORT, ADVANCE_PAST_TTL }

    /** What the client should have cached: the primary version it last read, and when. */
    static final class Model {
        Integer cachedPrimary;
        Instant cachedAt;

        boolean fresh(Instant now) {
            return cachedPrimary != null && now.isBefore(cachedAt.plus(TTL));
        }
    }

    static Gen<List<Event>> events() {
        return lists().of(Generate.enumValues(Event.class)).ofSizeBetween(1, 25);
    }

    @Test
    void getKeyMetadata_anySequenceOfReadsRotationsAndTime_fetchesOnlyOnMissExpiryOrNewerVersion() {
        Examples examples = new Examples();
        Examples.qt().forAll(events()).checkAssert(events -> {
            examples.ran();
            KeyId key = fx.newKey("cache", KeyAlgorithm.ECDSA_P256_SHA256);
            int serverPrimary = 1;
            MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
            Model model = new Model();
            fx.faults.reset();
            try (CryptoClient client = fx.client(fx.config().keyMetadataTtl(TTL).build(), clock, new SimpleMeterRegistry())) {
                for (Event e : events) {
                    Instant now = clock.instant();
                    int fetchesBefore = fx.faults.count("GetKeyMetadata");
                    switch (e) {
                        case ADVANCE_SHORT -> clock.advance(Duration.ofSeconds(19));
                        case ADVANCE_PAST_TTL -> clock.advance(TTL.plusSeconds(1));
                        case ROTATE_ELSEWHERE -> serverPrimary = fx.rotate(key);
                        case GET, SIGN -> {
                            boolean expectFetch = !model.fresh(now);
                            if (expectFetch) {
                                model.cachedPrimary = serverPrimary;
                                model.cachedAt = now;
                            }
                            if (e == Event.GET) {
                                KeyMetadata md = client.getKeyMetadata(key);
                                assertThat(md.primaryVersion()).as("metadata is the cached one, at most TTL old").isEqualTo(model.cachedPrimary);
                            } else {
                                SignResult s = client.sign(key, "m".getBytes(StandardCharsets.UTF_8));
                                assertThat(s.keyId().version()).isEqualTo(serverPrimary);
                                if (serverPrimary > model.cachedPrimary) {
                                    // The response named a newer version: the cached metadata is dropped.
                                    model.cachedPrimary = null;
                                }
                            }
                            assertThat(fx.faults.count("GetKeyMetadata") - fetchesBefore).as("metadata fetches for %s in %s", e, events)
                                    .isEqualTo(expectFetch ? 1 : 0);
                        }
                    }
                }
            }
        });
        examples.assertEnough();
    }

    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = {"ECDSA_P256_SHA256", "ECDSA_P384_SHA384", "ED25519", "RSA_PKCS1_2048_SHA256",
            "RSA_PSS_2048_SHA256"})
    void verify_oncePublicKeyIsCached_checksLocallyWithoutAnyRpc(KeyAlgorithm algorithm) {
        KeyId key = fx.newKey("pk", algorithm);
        try (CryptoClient client = fx.client(fx.config().build())) {
            byte[] data = ("payload for " + algorithm).getBytes(StandardCharsets.UTF_8);
            SignResult s = client.sign(key, data);
            assertThat(s.algorithm()).isEqualTo(algorithm);
            assertThat(client.verify(s.keyId(), data, s.signature())).isTrue();
            fx.faults.reset();
            for (int i = 0; i < 20; i++) {
                byte[] tampered = s.signature();
                tampered[i % tampered.length] ^= 0x40;
                assertThat(client.verify(s.keyId(), data, s.signature())).isTrue();
                assertThat(client.verify(s.keyId(), data, tampered)).isFalse();
                assertThat(client.verify(s.keyId(), "other".getBytes(StandardCharsets.UTF_8), s.signature())).isFalse();
            }
            assertThat(fx.faults.total()).as("RPCs after the public key is cached").isZero();
            assertThat(client.getPublicKey(s.keyId()).jwkJson()).contains("\"kid\":\"" + s.keyId() + "\"");
            assertThat(fx.faults.total()).isZero();
        }
    }

    @Test
    void verify_hmac_alwaysAsksTheService() {
        KeyId key = fx.newKey("pk", KeyAlgorithm.HMAC_SHA256);
        try (CryptoClient client = fx.client(fx.config().build())) {
            byte[] data = "mac me".getBytes(StandardCharsets.UTF_8);
            SignResult s = client.sign(key, data);
            fx.faults.reset();
            for (int i = 0; i < 5; i++) {
                assertThat(client.verify(s.keyId(), data, s.signature())).isTrue();
            }
            byte[] bad = s.signature();
            bad[0] ^= 1;
            assertThat(client.verify(s.keyId(), data, bad)).isFalse();
            assertThat(fx.faults.count("Verify")).isEqualTo(6);
            assertThat(fx.faults.count("GetPublicKey")).isZero();
        }
    }

    @Test
    void verify_signatureOfVersionNewerThanCachedMetadata_refreshesMetadataAndFetchesThatPublicKey() {
        KeyId key = fx.newKey("pk", KeyAlgorithm.ED25519);
        try (CryptoClient client = fx.client(fx.config().build())) {
            byte[] data = "d".getBytes(StandardCharsets.UTF_8);
            SignResult v1 = client.sign(key, data);
            assertThat(client.verify(v1.keyId(), data, v1.signature())).isTrue();
            fx.rotate(key);
            var r = fx.server.operations().sign(key, data);
            SignResult v2 = new SignResult(r.keyId(), r.algorithm(), r.signature(), false);
            fx.faults.reset();
            assertThat(v2.keyId().version()).isEqualTo(2);
            assertThat(client.verify(v2.keyId(), data, v2.signature())).isTrue();
            assertThat(fx.faults.count("GetKeyMetadata")).isEqualTo(1);
            assertThat(fx.faults.count("GetPublicKey")).isEqualTo(1);
            assertThat(client.verify(v1.keyId(), data, v1.signature())).as("the old version still verifies").isTrue();
            assertThat(fx.faults.total()).isEqualTo(2);
        }
    }

    @Test
    void anySignature_madeBeforeAnyNumberOfRotations_stillVerifiesWithTheCurrentConfiguration() {
        // I7: decisions signed with a previous key version verify after rotation.
        Examples examples = new Examples();
        Gen<List<byte[]>> batches = lists().of(Generate.byteArrays(integers().between(0, 100),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))).ofSizeBetween(1, 4);
        Examples.qt().forAll(batches, Generate.pick(List.of(KeyAlgorithm.ECDSA_P256_SHA256, KeyAlgorithm.ED25519)))
                .checkAssert((messages, algorithm) -> {
                    examples.ran();
                    KeyId key = fx.newKey("compat", algorithm);
                    List<SignResult> signed = new ArrayList<>();
                    List<byte[]> data = new ArrayList<>();
                    try (CryptoClient signer = fx.client(fx.config().build())) {
                        for (byte[] m : messages) {
                            signed.add(signer.sign(key, m));
                            data.add(m);
                            fx.rotate(key);
                        }
                    }
                    try (CryptoClient verifier = fx.client(fx.config().signingKeyId(key.toString()).build())) {
                        for (int i = 0; i < signed.size(); i++) {
                            SignResult s = signed.get(i);
                            assertThat(s.keyId().version()).isEqualTo(i + 1);
                            assertThat(verifier.verify(s.keyId(), data.get(i), s.signature())).isTrue();
                        }
                    }
                });
        examples.assertEnough();
    }
}
