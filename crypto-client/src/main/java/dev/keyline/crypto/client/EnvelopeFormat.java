package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.aead.AesGcm;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The bytes of an envelope, version 1 (see {@link EnvelopeEncryptor} for the layout). Parsing
 * checks every length against the bytes present and never trusts a field it has not bounded.
 */
final class EnvelopeFormat {
    static final int VERSION = 1;
    static final int FLAG_FALLBACK = 0x01;
    private static final int KNOWN_FLAGS = FLAG_FALLBACK;
    private static final byte[] WRAP_AAD_PREFIX = "keyline-envelope-v1\0".getBytes(StandardCharsets.US_ASCII);

    private EnvelopeFormat() {
    }

    /** The header: everything before the data IV. Also the start of the data's AAD. */
    static byte[] header(EncryptResult wrapped) {
        byte[] kid = wrapped.keyId().toString().getBytes(StandardCharsets.US_ASCII);
        byte[] iv = wrapped.iv();
        byte[] ct = wrapped.ciphertext();
        byte[] tag = wrapped.tag();
        if (kid.length > 255 || iv.length > 255 || ct.length > 255 || tag.length != AesGcm.TAG_BYTES) {
            throw new CryptoException(Reason.ENCRYPTION_FAILED, "the wrapped data key does not fit the envelope format");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(4 + kid.length + 2 + iv.length + ct.length + tag.length);
        out.write(VERSION);
        out.write(wrapped.fallback() ? FLAG_FALLBACK : 0);
        out.write(kid.length);
        out.writeBytes(kid);
        out.write(iv.length);
        out.writeBytes(iv);
        out.write(ct.length);
        out.writeBytes(ct);
        out.writeBytes(tag);
        return out.toByteArray();
    }

    /** The AAD the data key is wrapped with: the format's label and the encryptor's context. */
    static byte[] wrapAad(String context) {
        byte[] c = context.getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(WRAP_AAD_PREFIX, WRAP_AAD_PREFIX.length + c.length);
        System.arraycopy(c, 0, out, WRAP_AAD_PREFIX.length, c.length);
        return out;
    }

    /** A parsed envelope: its header length (where the data IV starts) and its wrapped key. */
    record Parsed(int headerLength, EncryptResult wrapped) { }

    /**
     * The length of the envelope's header, after checking its version, flags and that every length
     * field fits in the bytes present with room for the data IV and tag. Reads no key id: the
     * cheap first step of decryption, enough to look the data key up by its header.
     */
    static int headerLength(byte[] envelope) {
        int p = 0;
        int version = u8(envelope, p++);
        if (version != VERSION) {
            throw malformed("unsupported envelope format version " + version);
        }
        int flags = u8(envelope, p++);
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw malformed("unknown envelope flags");
        }
        p += 1 + u8(envelope, p);   // key id
        p += 1 + u8(envelope, p);   // wrapping IV
        p += 1 + u8(envelope, p);   // wrapped data key
        p += AesGcm.TAG_BYTES;      // wrapping tag
        if (envelope.length - p < AesGcm.IV_BYTES + AesGcm.TAG_BYTES) {
            throw malformed("envelope is truncated");
        }
        return p;
    }

    static Parsed parse(byte[] envelope) {
        int headerLength = headerLength(envelope);
        try {
            int p = 2;
            int flags = envelope[1] & 0xff;
            int kidLen = u8(envelope, p++);
            KeyId kid = KeyId.parse(new String(slice(envelope, p, kidLen), StandardCharsets.US_ASCII));
            p += kidLen;
            int ivLen = u8(envelope, p++);
            byte[] iv = slice(envelope, p, ivLen);
            p += ivLen;
            int ctLen = u8(envelope, p++);
            byte[] ct = slice(envelope, p, ctLen);
            p += ctLen;
            byte[] tag = slice(envelope, p, AesGcm.TAG_BYTES);
            EncryptResult wrapped = new EncryptResult(kid, KeyAlgorithm.AES_256_GCM, ct, iv, tag, (flags & FLAG_FALLBACK) != 0);
            return new Parsed(headerLength, wrapped);
        } catch (CryptoException e) {
            if (e.reason() == Reason.DECRYPTION_FAILED) {
                throw e;
            }
            throw malformed("envelope header is invalid");
        }
    }

    private static int u8(byte[] b, int i) {
        if (i >= b.length) {
            throw malformed("envelope is truncated");
        }
        return b[i] & 0xff;
    }

    private static byte[] slice(byte[] b, int from, int len) {
        if (from + len > b.length) {
            throw malformed("envelope is truncated");
        }
        return Arrays.copyOfRange(b, from, from + len);
    }

    private static CryptoException malformed(String message) {
        return new CryptoException(Reason.DECRYPTION_FAILED, message);
    }
}
