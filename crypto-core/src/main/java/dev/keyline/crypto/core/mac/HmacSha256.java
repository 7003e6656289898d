package dev.keyline.crypto.core.mac;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.provider.CryptoProviders;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 with constant-time verification. Immutable and thread-safe. */
public final class HmacSha256 {
    public static final int TAG_BYTES = 32;
    private static final String NAME = "HmacSHA256";

    private final SecretKeySpec key;
    private final Provider provider;

    private HmacSha256(SecretKeySpec key, Provider provider) {
        this.key = key;
        this.provider = provider;
    }

    public static HmacSha256 of(SecretBytes key) {
        return of(key, CryptoProviders.defaults().mac());
    }

    public static HmacSha256 of(SecretBytes key, Provider provider) {
        if (key.size() == 0) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "HMAC key must not be empty");
        }
        byte[] raw = key.toByteArray();
        try {
            return new HmacSha256(new SecretKeySpec(raw, NAME), provider);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    public byte[] compute(byte[] data) {
        try {
            Mac mac = Mac.getInstance(NAME, provider);
            mac.init(key);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new CryptoException(Reason.SIGNATURE_FAILED, "HMAC computation failed", e);
        }
    }

    /**
     * Whether {@code tag} is the HMAC of {@code data}, compared in constant time. A tag shorter
     * than 16 bytes (truncation below 128 bits) is always rejected.
     */
    public boolean verify(byte[] data, byte[] tag) {
        if (tag.length < 16 || tag.length > TAG_BYTES) {
            return false;
        }
        byte[] expected = compute(data);
        return MessageDigest.isEqual(Arrays.copyOf(expected, tag.length), tag);
    }

    @Override
    public String toString() {
        return "HmacSha256[key redacted]";
    }
}
