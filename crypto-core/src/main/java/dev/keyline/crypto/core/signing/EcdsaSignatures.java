package dev.keyline.crypto.core.signing;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Optional;

/**
 * Conversion between the two ECDSA signature encodings: ASN.1 DER (what the JCA and openssl use,
 * and what the crypto service returns) and the fixed-length r ‖ s form of IEEE P1363 (what JWS
 * uses, RFC 7518 §3.4). Parsing is strict: only minimal DER is accepted.
 */
public final class EcdsaSignatures {
    private EcdsaSignatures() {
    }

    /** DER → r ‖ s, each {@code fieldBytes} long (32 for P-256, 48 for P-384). */
    public static Optional<byte[]> derToP1363(byte[] der, int fieldBytes) {
        Optional<BigInteger[]> rs = parseDer(der);
        if (rs.isEmpty()) {
            return Optional.empty();
        }
        byte[] out = new byte[2 * fieldBytes];
        if (!putFixed(rs.get()[0], out, 0, fieldBytes) || !putFixed(rs.get()[1], out, fieldBytes, fieldBytes)) {
            return Optional.empty();
        }
        return Optional.of(out);
    }

    /** r ‖ s → DER. Empty when the length is odd or zero. */
    public static Optional<byte[]> p1363ToDer(byte[] raw) {
        if (raw.length == 0 || raw.length % 2 != 0) {
            return Optional.empty();
        }
        int n = raw.length / 2;
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(raw, 0, n));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(raw, n, raw.length));
        byte[] rb = r.toByteArray();
        byte[] sb = s.toByteArray();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeInteger(body, rb);
        writeInteger(body, sb);
        byte[] b = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        writeLength(out, b.length);
        out.writeBytes(b);
        return Optional.of(out.toByteArray());
    }

    private static void writeInteger(ByteArrayOutputStream out, byte[] value) {
        out.write(0x02);
        writeLength(out, value.length);
        out.writeBytes(value);
    }

    private static void writeLength(ByteArrayOutputStream out, int len) {
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len & 0xff);
        }
    }

    private static boolean putFixed(BigInteger v, byte[] out, int off, int len) {
        byte[] b = v.toByteArray();
        int start = 0;
        while (start < b.length - 1 && b[start] == 0) {
            start++;
        }
        int n = b.length - start;
        if (n > len) {
            return false;
        }
        System.arraycopy(b, start, out, off + len - n, n);
        return true;
    }

    /** Strict DER parse of SEQUENCE { INTEGER r, INTEGER s } with positive, minimal integers. */
    static Optional<BigInteger[]> parseDer(byte[] der) {
        int[] pos = {0};
        if (der.length < 8 || der[0] != 0x30) {
            return Optional.empty();
        }
        pos[0] = 1;
        int seqLen = readLength(der, pos);
        if (seqLen < 0 || pos[0] + seqLen != der.length) {
            return Optional.empty();
        }
        BigInteger r = readInteger(der, pos);
        BigInteger s = readInteger(der, pos);
        if (r == null || s == null || pos[0] != der.length) {
            return Optional.empty();
        }
        return Optional.of(new BigInteger[] {r, s});
    }

    private static int readLength(byte[] d, int[] pos) {
        if (pos[0] >= d.length) {
            return -1;
        }
        int b = d[pos[0]++] & 0xff;
        if (b < 0x80) {
            return b;
        }
        int count = b & 0x7f;
        if (count == 0 || count > 2 || pos[0] + count > d.length) {
            return -1;
        }
        int len = 0;
        for (int i = 0; i < count; i++) {
            len = (len << 8) | (d[pos[0]++] & 0xff);
        }
        // Minimal length encoding only.
        if (len < 0x80 || (count == 2 && len < 0x100)) {
            return -1;
        }
        return len;
    }

    private static BigInteger readInteger(byte[] d, int[] pos) {
        if (pos[0] >= d.length || d[pos[0]++] != 0x02) {
            return null;
        }
        int len = readLength(d, pos);
        if (len <= 0 || pos[0] + len > d.length) {
            return null;
        }
        byte[] v = Arrays.copyOfRange(d, pos[0], pos[0] + len);
        pos[0] += len;
        if ((v[0] & 0x80) != 0) {
            return null; // negative
        }
        if (v.length > 1 && v[0] == 0 && (v[1] & 0x80) == 0) {
            return null; // not minimal
        }
        return new BigInteger(1, v);
    }
}
