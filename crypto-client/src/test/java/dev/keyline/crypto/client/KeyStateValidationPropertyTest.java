package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * T8 — key state validation. Sign, encrypt and data-key calls check the cached metadata first:
 * unless the key and the version the call would use are ENABLED, they fail with KEY_STATE_INVALID
 * without calling the service. Encrypt and data keys use only the primary; sign may name an older
 * version (the service's rule: ENABLED and at or above min_decryption_version).
 */
class KeyStateValidationPropertyTest {
    @TempDir
    static Path dir;
    static ClientFixture fx;
    static CryptoClient client;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        client = fx.client(fx.config().build());
    }

    @AfterAll
    static void stop() {
        client.close();
        fx.close();
    }

    enum Op { SIGN, ENCRYPT, DATA_KEY }

    /** What {@code state} is applied to: the key as a whole, its primary version, or version 1. */
    enum Target { KEY, PRIMARY_VERSION, VERSION_1 }

    /** @param nameOld whether the call names version 1 (only once the key was rotated, so that it is not the primary) */
    record Case(Op op, KeyState state, Target target, boolean rotated, boolean nameOld, byte[] payload) { }

    static Gen<Case> cases() {
        Gen<KeyState> states = Generate.pick(java.util.List.of(KeyState.ENABLED, KeyState.DISABLED, KeyState.PENDING_DELETION));
        // Bit 0: rotated; bit 1: name version 1.
        return Generate.enumValues(Op.class).zip(states, Generate.enumValues(Target.class), integers().between(0, 3),
                Generate.byteArrays(integers().between(0, 32), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0)),
                (op, state, target, flags, payload) -> new Case(op, state, target, (flags & 1) != 0, (flags & 2) != 0, payload));
    }

    /** The model: whether the call may go to the service. */
    static boolean usable(Case c, int primary, int asked) {
        boolean changed = c.state() != KeyState.ENABLED;
        boolean keyEnabled = !(changed && c.target() == Target.KEY);
        int v = asked == 0 ? primary : asked;
        boolean versionEnabled = !(changed && ((c.target() == Target.PRIMARY_VERSION && v == primary) || (c.target() == Target.VERSION_1 && v == 1)));
        return keyEnabled && versionEnabled && (v == primary || c.op() == Op.SIGN);
    }

    @Test
    void signEncryptOrDataKey_keyNotEnabledInCachedMetadata_failsWithKeyStateInvalidWithoutRpc() {
        Examples examples = new Examples();
        Examples.qt().forAll(cases()).checkAssert(c -> {
            examples.ran();
            KeyId key = fx.newKey("state", c.op() == Op.SIGN ? KeyAlgorithm.ED25519 : KeyAlgorithm.AES_256_GCM);
            int primary = c.rotated() ? fx.rotate(key) : 1;
            if (c.state() != KeyState.ENABLED) {
                fx.setState(switch (c.target()) {
                    case KEY -> key;
                    case PRIMARY_VERSION -> key.withVersion(primary);
                    case VERSION_1 -> key.withVersion(1);
                }, c.state());
            }
            KeyId asked = c.nameOld() && c.rotated() ? key.withVersion(1) : key;
            client.getKeyMetadata(key);
            fx.faults.reset();
            CryptoException e = catchThrowableOfType(CryptoException.class, () -> {
                switch (c.op()) {
                    case SIGN -> client.sign(asked, c.payload());
                    case ENCRYPT -> client.encrypt(asked, c.payload(), new byte[0]);
                    case DATA_KEY -> client.generateDataKey(asked, c.payload());
                }
            });
            if (usable(c, primary, asked.version())) {
                assertThat(e).as("%s", c).isNull();
                assertThat(fx.faults.total()).as("the operation's one RPC").isEqualTo(1);
            } else {
                assertThat(e).as("%s", c).isNotNull();
                assertThat(e.reason()).isEqualTo(Reason.KEY_STATE_INVALID);
                assertThat(fx.faults.total()).as("no RPC for a key that is not usable: %s", c).isZero();
            }
        });
        examples.assertEnough();
    }

    @Test
    void sign_keyDisabledAfterMetadataWasCached_serviceRefusesAndTheCacheIsDropped() {
        KeyId key = fx.newKey("state", KeyAlgorithm.ECDSA_P256_SHA256);
        byte[] data = "d".getBytes(StandardCharsets.UTF_8);
        client.sign(key, data);
        fx.setState(key, KeyState.DISABLED);
        CryptoException first = catchThrowableOfType(CryptoException.class, () -> client.sign(key, data));
        assertThat(first.reason()).isEqualTo(Reason.KEY_STATE_INVALID);
        fx.faults.reset();
        CryptoException second = catchThrowableOfType(CryptoException.class, () -> client.sign(key, data));
        assertThat(second.reason()).isEqualTo(Reason.KEY_STATE_INVALID);
        assertThat(fx.faults.count("GetKeyMetadata")).as("metadata read again after the refusal").isEqualTo(1);
        assertThat(fx.faults.count("Sign")).as("and now known to be disabled: no Sign call").isZero();
    }
}
