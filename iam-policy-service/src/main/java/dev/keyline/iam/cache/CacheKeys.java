package dev.keyline.iam.cache;

import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.iam.decision.AuthorizationRequest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Makes {@link CacheKey}s: HMAC-SHA256 under a secret key of the canonical request bytes followed
 * by the policy version. Replicas that share an L2 must share this key; a key made by
 * {@link #random} keeps L2 entries private to this process.
 *
 * <p>The same secret also yields, by HMAC-SHA256 key derivation with a fixed label
 * ({@code HMAC(secret, "keyline-iam-l2-entry-mac-v1")}, HKDF-Expand with one block), the key that
 * authenticates plaintext L2 entries ({@link #entryMac()}): a Redis writer, who does not hold the
 * secret, cannot make an entry this service accepts. The two keys are independent: knowing an
 * entry MAC says nothing about the cache-key HMAC, and the reverse.
 */
public final class CacheKeys {
    public static final int MIN_KEY_BYTES = 32;
    private static final byte[] ENTRY_MAC_LABEL = "keyline-iam-l2-entry-mac-v1\u0001".getBytes(StandardCharsets.UTF_8);
    private final HmacSha256 hmac;
    private final HmacSha256 entryMac;

    private CacheKeys(HmacSha256 hmac) {
        this.hmac = hmac;
        this.entryMac = HmacSha256.of(SecretBytes.wrap(hmac.compute(ENTRY_MAC_LABEL)));
    }

    /** The key that authenticates plaintext L2 entries; derived from this key, see the class comment. */
    public HmacSha256 entryMac() {
        return entryMac;
    }

    /** Keys under {@code key}, at least 32 bytes. */
    public static CacheKeys of(SecretBytes key) {
        if (key.size() < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("the cache HMAC key must be at least " + MIN_KEY_BYTES + " bytes");
        }
        return new CacheKeys(HmacSha256.of(key));
    }

    public static CacheKeys random(SecureRandom random) {
        byte[] k = new byte[MIN_KEY_BYTES];
        random.nextBytes(k);
        return new CacheKeys(HmacSha256.of(SecretBytes.wrap(k)));
    }

    public CacheKey keyFor(AuthorizationRequest request, String policyVersion) {
        byte[] req = request.canonicalBytes();
        byte[] version = policyVersion.getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[req.length + 1 + version.length];
        System.arraycopy(req, 0, data, 0, req.length);
        // The request encoding is self-delimiting, so the separator only guards readability.
        data[req.length] = 0;
        System.arraycopy(version, 0, data, req.length + 1, version.length);
        String digest = HexFormat.of().formatHex(hmac.compute(data));
        return new CacheKey(digest, request.subject().type(), request.subject().id(), request.resource().type(), request.resource().id(),
                request.action(), policyVersion);
    }
}
