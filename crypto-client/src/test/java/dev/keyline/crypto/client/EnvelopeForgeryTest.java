package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller that may Encrypt under a key, but not generate data keys with it, tries to mint an
 * envelope that the owner of that key accepts: it wraps a data key of its own choosing with the
 * envelope's reserved AAD through Encrypt, builds the header and seals its payload. The service
 * refuses the reserved AAD on Encrypt; the owner's own envelopes (GenerateDataKey, Decrypt) work.
 */
class EnvelopeForgeryTest {
    private static final String CONTEXT = "keyline-iam-decision-cache";

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static KeyId key;
    static CryptoClient owner;
    static CryptoClient attacker;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        key = fx.newKey("iam", KeyAlgorithm.AES_256_GCM);
        owner = fx.client(fx.config().authToken(fx.token("iam:data-key,decrypt,read")).build());
        attacker = fx.client(fx.config().authToken(fx.token("iam:encrypt,read")).build());
    }

    @AfterAll
    static void stop() {
        owner.close();
        attacker.close();
        fx.close();
    }

    private static EnvelopeEncryptor envelopes(CryptoClient c) {
        return EnvelopeEncryptor.builder(c, key).context(CONTEXT).meterRegistry(new SimpleMeterRegistry()).build();
    }

    /** The forgery: a data key the attacker knows, wrapped by the service as if it had drawn it. */
    private static byte[] forge(byte[] payload, byte[] aad) {
        byte[] dataKey = new byte[AesGcm.KEY_BYTES];
        new SecureRandom().nextBytes(dataKey);
        EncryptResult wrapped = attacker.encrypt(key, dataKey, EnvelopeFormat.wrapAad(CONTEXT));
        byte[] header = EnvelopeFormat.header(wrapped);
        return AesGcm.of(SecretBytes.copyOf(dataKey)).encryptFramed(header, payload, aad, new SecureRandom());
    }

    @Test
    void envelope_ofTheKeysOwner_stillRoundTrips() {
        byte[] aad = "decision:alice:read:doc-1".getBytes(StandardCharsets.UTF_8);
        EnvelopeEncryptor own = envelopes(owner);

        byte[] sealed = own.encrypt("deny".getBytes(StandardCharsets.UTF_8), aad);

        assertThat(envelopes(owner).decrypt(sealed, aad)).asString(StandardCharsets.UTF_8).isEqualTo("deny");
    }

    @Test
    void forge_withEncryptUnderTheReservedAad_isRefusedSoTheOwnerNeverOpensIt() {
        byte[] aad = "decision:mallory:delete:payroll".getBytes(StandardCharsets.UTF_8);

        // On a service without the check this returns an envelope the owner decrypts to "allow".
        CryptoException e = catchThrowableOfType(CryptoException.class, () -> {
            byte[] forged = forge("allow".getBytes(StandardCharsets.UTF_8), aad);
            envelopes(owner).decrypt(forged, aad);
        });

        assertThat(e).as("the forged envelope was accepted").isNotNull();
        assertThat(e.reason()).isEqualTo(Reason.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("reserved");
    }

    @Test
    void generateDataKey_withoutTheDataKeyGrant_isDenied() {
        // The one call that may carry the envelope's AAD needs its own grant: Encrypt does not confer it.
        CryptoException e = catchThrowableOfType(CryptoException.class, () -> envelopes(attacker).encrypt(new byte[1], new byte[0]));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(Reason.PERMISSION_DENIED);
    }
}
