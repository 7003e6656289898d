package dev.keyline.crypto.service.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.keyline.testing.Examples;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteViewTest {
    private static byte[] bytes(ByteView v) {
        return Arrays.copyOfRange(v.array(), v.offset(), v.offset() + v.length());
    }

    @Test
    void of_anyShapeOfByteString_viewsExactlyItsBytes() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(integers().between(0, 3000), integers().between(0, 3000), integers().between(0, 3))
                .checkAssert((size, cut, shape) -> {
                    examples.ran();
                    byte[] data = new byte[size];
                    new Random(size * 31L + cut).nextBytes(data);
                    int at = Math.min(cut, size);
                    ByteString bs = switch (shape) {
                        case 0 -> ByteString.copyFrom(data);
                        // A slice of a larger array: offset matters.
                        case 1 -> ByteString.copyFrom(concat(new byte[7], data)).substring(7);
                        // Two pieces (a rope once both are big enough): falls back to a copy.
                        case 2 -> ByteString.copyFrom(data, 0, at).concat(ByteString.copyFrom(data, at, size - at));
                        default -> {
                            ByteBuffer direct = ByteBuffer.allocateDirect(size);
                            direct.put(data).flip();
                            yield UnsafeByteOperations.unsafeWrap(direct);
                        }
                    };

                    assertThat(bytes(ByteView.of(bs))).isEqualTo(data);
                });
        examples.assertAtLeast(200);
    }

    @Test
    void of_aParsedField_sharesItsArrayInsteadOfCopying() {
        byte[] data = new byte[1024];
        ByteString bs = UnsafeByteOperations.unsafeWrap(data, 16, 512);

        ByteView v = ByteView.of(bs);

        assertThat(v.array()).isSameAs(data);
        assertThat(v.offset()).isEqualTo(16);
        assertThat(v.length()).isEqualTo(512);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
