package dev.keyline.crypto.core.aead;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.TestKeys;
import dev.keyline.crypto.core.provider.CryptoProviders;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IvRandomTest {
    /** Counts the calls into a real CSPRNG and the bytes drawn. */
    private static final class CountingRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger bytes = new AtomicInteger();
        private final transient SecureRandom real = new SecureRandom();

        @Override
        public void nextBytes(byte[] out) {
            calls.incrementAndGet();
            bytes.addAndGet(out.length);
            real.nextBytes(out);
        }
    }

    @Test
    void ivs_forARequest_areDrawnInOneCall_thenStraightFromTheSourceOnceUsedUp() {
        CountingRandom source = new CountingRandom();
        IvRandom ivs = IvRandom.forRequest(source, 10);
        assertThat(source.calls.get()).isEqualTo(1);
        assertThat(source.bytes.get()).isEqualTo(10 * AesGcm.IV_BYTES);

        for (int i = 0; i < 10; i++) {
            ivs.nextBytes(new byte[AesGcm.IV_BYTES]);
        }
        assertThat(source.calls.get()).isEqualTo(1);

        ivs.nextBytes(new byte[AesGcm.IV_BYTES]);
        ivs.nextBytes(new byte[100]);
        assertThat(source.calls.get()).isEqualTo(3);
        assertThat(source.bytes.get()).isEqualTo(11 * AesGcm.IV_BYTES + 100);
    }

    @Test
    void ivs_neverRepeat_withinOrAcrossRequests() {
        SecureRandom source = CryptoProviders.defaults().secureRandom();
        Set<String> seen = new HashSet<>();

        for (int request = 0; request < 1_000; request++) {
            IvRandom ivs = IvRandom.forRequest(source, 100);
            // A few more than drawn, so the fallback to the source is covered too.
            for (int i = 0; i < 104; i++) {
                byte[] iv = new byte[AesGcm.IV_BYTES];
                ivs.nextBytes(iv);
                assertThat(seen.add(HexFormat.of().formatHex(iv))).isTrue();
            }
        }
        assertThat(seen).hasSize(104_000);
    }

    @Test
    void sealedMessages_withIvsOfOneRequest_decryptAndCarryDistinctIvs() {
        byte[] key = new byte[AesGcm.KEY_BYTES];
        TestKeys.RANDOM.nextBytes(key);
        AesGcm aead = AesGcm.of(SecretBytes.copyOf(key), CryptoProviders.defaults().aead());
        IvRandom ivs = IvRandom.forRequest(CryptoProviders.defaults().secureRandom(), 100);
        byte[] aad = "ctx".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Set<String> seen = new HashSet<>();

        for (int i = 0; i < 100; i++) {
            byte[] pt = ("message " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            AeadCiphertext sealed = aead.encrypt(pt, aad, ivs);
            assertThat(aead.decrypt(sealed, aad)).isEqualTo(pt);
            assertThat(seen.add(HexFormat.of().formatHex(sealed.iv()))).isTrue();
        }
    }

    @Test
    void refusesToBeSerialized_andNamesNoBytes() {
        IvRandom ivs = IvRandom.forRequest(new SecureRandom(), 4);

        assertThatThrownBy(() -> new java.io.ObjectOutputStream(new java.io.ByteArrayOutputStream()).writeObject(ivs))
                .isInstanceOf(java.io.NotSerializableException.class);
        assertThat(ivs.toString()).isEqualTo("IvRandom");
        assertThatThrownBy(() -> IvRandom.forRequest(new SecureRandom(), -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
