package dev.keyline.crypto.core;

import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** QuickTheories generators shared by the property tests. */
public final class Gens {
    private Gens() {
    }

    /** Byte arrays of {@code min}..{@code max} bytes with arbitrary contents. */
    public static Gen<byte[]> bytes(int min, int max) {
        return Generate.byteArrays(Generate.range(min, max), Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0))
                .describedAs(b -> b.length + " bytes " + java.util.HexFormat.of().formatHex(b, 0, Math.min(b.length, 32))
                        + (b.length > 32 ? "…" : ""));
    }

    /** Exactly {@code n} arbitrary bytes. */
    public static Gen<byte[]> bytes(int n) {
        return bytes(n, n);
    }
}
