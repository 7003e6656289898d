package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.booleans;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import io.grpc.Status;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * I11 — health check DEGRADED. When the service is unreachable or the circuit is open, health is
 * DEGRADED if callers can go on (fallback keys cover the enabled features, or the caller has its
 * own fallback) and DOWN otherwise; UP when the service answers and the configured key is usable;
 * DOWN when it answers but the key is not usable or the caller is not allowed.
 */
class HealthCheckPropertyTest {
    @TempDir
    static Path dir;
    static ClientFixture fx;
    static KeyId aesKey;
    static KeyId ecKey;
    static KeyId disabledKey;
    static SecretBytes aes;
    static SigningKey signer;
    static String noRights;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        aesKey = fx.newKey("health", KeyAlgorithm.AES_256_GCM);
        ecKey = fx.newKey("health", KeyAlgorithm.ECDSA_P256_SHA256);
        disabledKey = fx.newKey("health", KeyAlgorithm.AES_256_GCM);
        fx.setState(disabledKey, KeyState.DISABLED);
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        aes = SecretBytes.copyOf(raw);
        signer = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom(), CryptoProviders.defaults());
        noRights = fx.token("elsewhere:encrypt");
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    enum Service { UP, UNAVAILABLE, DEADLINE_EXCEEDED, CIRCUIT_OPEN, KEY_DISABLED, NOT_ALLOWED }

    record Case(Service service, boolean fallbackAes, boolean fallbackSigner, boolean callerHasFallback, boolean cacheEncryption,
            boolean signing) { }

    static Gen<Case> cases() {
        Gen<Boolean> b = booleans().all();
        return Generate.enumValues(Service.class).zip(b, b, b, b, (s, a, sg, c, e) -> new Case(s, a, sg, c, e, false))
                .zip(b, (c, signing) -> new Case(c.service(), c.fallbackAes(), c.fallbackSigner(), c.callerHasFallback(), c.cacheEncryption(), signing));
    }

    /**
     * The seed's DEGRADED is for an unavailable service with a fallback path. A disabled key with
     * fallback keys configured is no such path: the fallback never stands in for a refusal, so the
     * client's calls fail and health says DOWN, which is what callers will see.
     */
    @Test
    void healthCheck_serviceDownWithFallbackKeys_isDegraded_butKeyDisabledWithFallbackKeys_isDown() {
        CryptoClientConfig.Builder withFallback = fx.config().fallbackEnabled(true).fallbackAesKey(aes).fallbackSigningKey(signer)
                .cacheEncryption(true).signing(true).signingKeyId(ecKey.toString());
        fx.faults.reset();
        try (CryptoClient down = fx.client(withFallback.encryptionKeyId(aesKey.toString()).build())) {
            fx.faults.always(FaultInjector.status(Status.UNAVAILABLE));
            HealthStatus h = down.healthCheck();
            EncryptResult e = down.encrypt(aesKey, new byte[] {1, 2, 3}, new byte[0]);
            fx.faults.clearFaults();

            assertThat(h.status()).as("%s", h).isEqualTo(HealthStatus.Status.DEGRADED);
            assertThat(e.fallback()).as("the fallback path callers go on with").isTrue();
        }
        fx.faults.reset();
        try (CryptoClient refused = fx.client(withFallback.encryptionKeyId(disabledKey.toString()).build())) {
            HealthStatus h = refused.healthCheck();
            CryptoException e = catchThrowableOfType(CryptoException.class,
                    () -> refused.encrypt(disabledKey, new byte[] {1, 2, 3}, new byte[0]));

            assertThat(h.status()).as("%s", h).isEqualTo(HealthStatus.Status.DOWN);
            assertThat(e).as("no fallback for a refusal").isNotNull();
            assertThat(e.reason()).isEqualTo(CryptoException.Reason.KEY_STATE_INVALID);
        }
    }

    @Test
    void healthCheck_anyServiceStateAndFallbackSetup_isUpDegradedOrDownAsCallersCanGoOn() {
        Examples examples = new Examples();
        // The small case space repeats itself: a random correlation id per check keeps examples distinct.
        Examples.qt().forAll(cases(), RequestContextPropertyTest.ids()).checkAssert((c, cid) -> {
            examples.ran();
            fx.faults.reset();
            CryptoClientConfig.Builder b = fx.config().circuitBreaker(100f, 1, 1, Duration.ofHours(1), 1)
                    .encryptionKeyId((c.service() == Service.KEY_DISABLED ? disabledKey : aesKey).toString())
                    .signingKeyId(ecKey.toString()).cacheEncryption(c.cacheEncryption()).signing(c.signing())
                    .callerHasFallback(c.callerHasFallback());
            if (c.service() == Service.NOT_ALLOWED) {
                b.authToken(noRights);
            }
            if (c.fallbackAes() || c.fallbackSigner()) {
                b.fallbackEnabled(true);
                if (c.fallbackAes()) {
                    b.fallbackAesKey(aes);
                }
                if (c.fallbackSigner()) {
                    b.fallbackSigningKey(signer);
                }
            }
            try (CryptoClient client = fx.client(b.build())) {
                switch (c.service()) {
                    case UNAVAILABLE -> fx.faults.always(FaultInjector.status(Status.UNAVAILABLE));
                    case DEADLINE_EXCEEDED -> fx.faults.always(FaultInjector.status(Status.DEADLINE_EXCEEDED));
                    case CIRCUIT_OPEN -> {
                        fx.faults.once(FaultInjector.status(Status.UNAVAILABLE));
                        catchThrowableOfType(CryptoException.class, () -> client.getKeyMetadata(aesKey));
                    }
                    default -> { }
                }
                int rpcs = fx.faults.total();
                HealthStatus h = RequestContext.call(RequestContext.of(cid), client::healthCheck);
                fx.faults.clearFaults();
                assertThat(fx.faults.total() - rpcs).as("health makes at most one call").isLessThanOrEqualTo(1);
                boolean anyKey = c.fallbackAes() || c.fallbackSigner();
                boolean canGoOn = c.callerHasFallback()
                        || (anyKey && (!c.cacheEncryption() || c.fallbackAes()) && (!c.signing() || c.fallbackSigner()));
                HealthStatus.Status expected = switch (c.service()) {
                    case UP -> HealthStatus.Status.UP;
                    case UNAVAILABLE, DEADLINE_EXCEEDED, CIRCUIT_OPEN -> canGoOn ? HealthStatus.Status.DEGRADED : HealthStatus.Status.DOWN;
                    case KEY_DISABLED, NOT_ALLOWED -> HealthStatus.Status.DOWN;
                };
                assertThat(h.status()).as("%s -> %s", c, h).isEqualTo(expected);
                if (c.service() == Service.CIRCUIT_OPEN) {
                    assertThat(h.circuit()).isEqualTo(HealthStatus.CircuitState.OPEN);
                    assertThat(fx.faults.total()).as("open circuit: health does not call").isEqualTo(rpcs);
                }
                assertThat(h.detail()).isNotEmpty().doesNotContain(fx.adminToken);
            }
        });
        examples.assertEnough();
    }
}
