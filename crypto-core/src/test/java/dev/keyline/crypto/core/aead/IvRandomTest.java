package dev.keyline.crypto.core.aead;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.TestKeys;
import dev.keyline.crypto.core.provider.CryptoProviders;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    void ivs_onOneThread_areDrawnOneBlockAtATime() {
        CountingRandom source = new CountingRandom();
        IvRandom ivs = new IvRandom(source);
        int perBlock = IvRandom.BLOCK_BYTES / AesGcm.IV_BYTES;

        for (int i = 0; i < perBlock * 10; i++) {
            ivs.nextBytes(new byte[AesGcm.IV_BYTES]);
        }

        assertThat(source.calls.get()).isEqualTo(10);
    }

    @Test
    void ivs_neverRepeat_acrossThreadsAndBlocks() throws InterruptedException {
        IvRandom ivs = new IvRandom(CryptoProviders.defaults().secureRandom());
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 20_000; i++) {
                    byte[] iv = new byte[AesGcm.IV_BYTES];
                    ivs.nextBytes(iv);
                    if (!seen.add(HexFormat.of().formatHex(iv))) {
                        duplicates.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }

        assertThat(duplicates.get()).isZero();
        assertThat(seen).hasSize(80_000);
    }

    @Test
    void requests_longerThanABlock_andVirtualThreads_goStraightToTheSource() throws InterruptedException {
        CountingRandom source = new CountingRandom();
        IvRandom ivs = new IvRandom(source);

        ivs.nextBytes(new byte[IvRandom.BLOCK_BYTES + 1]);
        assertThat(source.bytes.get()).isEqualTo(IvRandom.BLOCK_BYTES + 1);

        Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 3; i++) {
                ivs.nextBytes(new byte[AesGcm.IV_BYTES]);
            }
        }).join();
        assertThat(source.calls.get()).isEqualTo(4);
        assertThat(source.bytes.get()).isEqualTo(IvRandom.BLOCK_BYTES + 1 + 3 * AesGcm.IV_BYTES);
    }

    @Test
    void sealedMessages_withIvsFromBlocks_decryptAndCarryDistinctIvs() {
        byte[] key = new byte[AesGcm.KEY_BYTES];
        TestKeys.RANDOM.nextBytes(key);
        AesGcm aead = AesGcm.of(SecretBytes.copyOf(key), CryptoProviders.defaults().aead());
        IvRandom ivs = new IvRandom(CryptoProviders.defaults().secureRandom());
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
    void describesItselfWithoutAnyBytes() {
        IvRandom ivs = new IvRandom(new SecureRandom());
        ivs.nextBytes(new byte[AesGcm.IV_BYTES]);

        assertThat(ivs.toString()).startsWith("IvRandom(").doesNotContainPattern("[0-9a-f]{16}");
    }
}
