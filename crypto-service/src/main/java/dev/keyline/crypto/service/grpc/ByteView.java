package dev.keyline.crypto.service.grpc;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The bytes of a request field in place: the array behind a {@link ByteString}, with offset and
 * length, when one array holds it (as for every field parsed from a request), else a copy. Spares
 * the service a copy of each plaintext before encrypting it. Read only: the array belongs to the
 * request.
 */
record ByteView(byte[] array, int offset, int length) {
    private static final ByteView EMPTY = new ByteView(new byte[0], 0, 0);

    static ByteView of(ByteString bytes) {
        if (bytes.isEmpty()) {
            return EMPTY;
        }
        Capture capture = new Capture();
        try {
            UnsafeByteOperations.unsafeWriteTo(bytes, capture);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return capture.pieces == 1 && capture.array != null ? new ByteView(capture.array, capture.offset, capture.length)
                : new ByteView(bytes.toByteArray(), 0, bytes.size());
    }

    /** Records where the one backing array is; anything else (several pieces, direct buffers) falls back to a copy. */
    private static final class Capture extends ByteOutput {
        byte[] array;
        int offset;
        int length;
        int pieces;

        @Override
        public void writeLazy(byte[] value, int off, int len) {
            pieces++;
            array = value;
            offset = off;
            length = len;
        }

        /** The writer may reuse {@code value} afterwards, so it is not kept: copy instead. */
        @Override
        public void write(byte[] value, int off, int len) {
            pieces = Integer.MAX_VALUE / 2;
        }

        @Override
        public void write(byte value) {
            pieces = Integer.MAX_VALUE / 2;
        }

        @Override
        public void write(ByteBuffer value) {
            pieces = Integer.MAX_VALUE / 2;
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            pieces = Integer.MAX_VALUE / 2;
        }
    }
}
