package dev.keyline.crypto.core.aead;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.security.SecureRandom;
import java.security.SecureRandomParameters;
import java.security.SecureRandomSpi;
import java.util.Objects;

/**
 * The IVs of one request's encryptions, drawn from a CSPRNG in one call when the request starts:
 * a batch of 100 encryptions costs one call into the generator instead of 100. Each call has a
 * fixed cost (a JNI crossing for the native provider, a process-wide lock and a SHA-1 for the
 * JDK's NativePRNG) that is most of the price of 12 bytes; per-IV calls were 6 % of the CPU of a
 * batch encryption.
 *
 * <p>Made for one request on one thread and dropped with it: nothing drawn outlives the request,
 * so a process snapshot-cloned between requests (CRaC, SnapStart, VM clones) shares no IV with its
 * clones — the generator reseeds on restore, a buffer kept across requests would not. Bytes are
 * handed out in order, each once; once the block is used up, or for a request longer than what is
 * left, it draws from the generator directly. For IVs and other public values only:
 * never draw keys from it.
 */
public final class IvRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;

    private IvRandom(Spi spi, SecureRandom source) {
        super(spi, source.getProvider());
    }

    /** The IVs for {@code count} AES-GCM encryptions, drawn from {@code source} now. */
    public static IvRandom forRequest(SecureRandom source, int count) {
        Objects.requireNonNull(source, "source");
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0");
        }
        return new IvRandom(new Spi(source, Math.multiplyExact(count, AesGcm.IV_BYTES)), source);
    }

    @Override
    public String getAlgorithm() {
        return "IvRandom";
    }

    @Override
    public String toString() {
        return "IvRandom";
    }

    private void writeObject(ObjectOutputStream out) throws NotSerializableException {
        throw new NotSerializableException("IvRandom is for one request only");
    }

    private static final class Spi extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        private final transient SecureRandom source;
        private final transient byte[] block;
        private int next;

        Spi(SecureRandom source, int bytes) {
            this.source = source;
            this.block = new byte[bytes];
            source.nextBytes(block);
        }

        @Override
        protected void engineNextBytes(byte[] out) {
            if (block.length - next < out.length) {
                source.nextBytes(out);
                return;
            }
            // Not zeroed behind: IVs are public (every response carries its own).
            System.arraycopy(block, next, out, 0, out.length);
            next += out.length;
        }

        @Override
        protected void engineNextBytes(byte[] out, SecureRandomParameters params) {
            if (params == null) {
                engineNextBytes(out);
            } else {
                source.nextBytes(out, params);
            }
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            source.setSeed(seed);
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            return source.generateSeed(numBytes);
        }

        @Override
        protected void engineReseed(SecureRandomParameters params) {
            source.reseed(params);
        }

        private void writeObject(ObjectOutputStream out) throws NotSerializableException {
            throw new NotSerializableException("IvRandom is for one request only");
        }
    }
}
