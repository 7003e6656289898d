package dev.keyline.crypto.core.aead;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * A source of AES-GCM IVs that draws from a CSPRNG in blocks: each platform thread keeps a block
 * of {@value #BLOCK_BYTES} random bytes and hands out consecutive slices of it, so a batch of
 * encryptions costs one call into the generator per block instead of one per IV. Every call into
 * a CSPRNG has a fixed cost (a JNI crossing for the native provider, a process-wide lock and a
 * SHA-1 for the JDK's NativePRNG) that is most of the price of 12 bytes; it showed at 6 % of the
 * CPU of a batch encryption.
 *
 * <p>For public values only (IVs, nonces): unused bytes of a block stay in memory until used, so
 * never draw keys from it. Virtual threads, which come and go, draw straight from the generator.
 * Requests longer than a block also go straight to the generator. Handed-out slices are zeroed in
 * the block.
 */
public final class IvRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    static final int BLOCK_BYTES = 16 * AesGcm.IV_BYTES;

    private final transient SecureRandom source;
    private final transient ThreadLocal<Block> blocks = ThreadLocal.withInitial(Block::new);

    private static final class Block {
        final byte[] bytes = new byte[BLOCK_BYTES];
        int next = BLOCK_BYTES;
    }

    public IvRandom(SecureRandom source) {
        super(new byte[0]);
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public void nextBytes(byte[] out) {
        if (out.length > BLOCK_BYTES || Thread.currentThread().isVirtual()) {
            source.nextBytes(out);
            return;
        }
        Block b = blocks.get();
        if (BLOCK_BYTES - b.next < out.length) {
            source.nextBytes(b.bytes);
            b.next = 0;
        }
        System.arraycopy(b.bytes, b.next, out, 0, out.length);
        Arrays.fill(b.bytes, b.next, b.next + out.length, (byte) 0);
        b.next += out.length;
    }

    @Override
    public byte[] generateSeed(int numBytes) {
        return source.generateSeed(numBytes);
    }

    /** Supplements the source's seed (the superclass constructor calls this before there is one). */
    @Override
    public void setSeed(long seed) {
        if (source != null) {
            source.setSeed(seed);
        }
    }

    @Override
    public void setSeed(byte[] seed) {
        if (source != null) {
            source.setSeed(seed);
        }
    }

    @Override
    public String getAlgorithm() {
        return "IvRandom(" + source.getAlgorithm() + ")";
    }

    @Override
    public String toString() {
        return getAlgorithm();
    }
}
