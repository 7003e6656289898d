package dev.keyline.token.jwt;

/**
 * The seam between token minting and whatever holds the private key (the seed's {@code KmsSigner}):
 * {@link CryptoSigner} signs through the crypto service, {@link LocalSigner} with a key read from a
 * PEM file (the pre-integration path, and the fallback key). Which one a token service uses is a
 * configuration flag, not code.
 *
 * <p>Signing is two steps because the JWS header, which names the key, is part of the signed
 * input: {@link #currentKey()} says which key the next signature will come from, the caller builds
 * the header with it, and {@link #sign} signs exactly with that key.
 */
public sealed interface KmsSigner permits CryptoSigner, LocalSigner {

    /** The key the next {@link #sign} will use. */
    JwtKey currentKey();

    /**
     * Signs {@code signingInput} (the JWS signing input: {@code base64url(header) . base64url(payload)})
     * with {@code key}, which must be a key this signer returned from {@link #currentKey()}; returns
     * the signature in its JWS form (r ‖ s for ECDSA). Fails with a
     * {@link dev.keyline.crypto.core.CryptoException} when the key cannot sign any more (for
     * example the crypto service rotated it a moment ago) or the service is unavailable.
     */
    byte[] sign(JwtKey key, byte[] signingInput);

    /** Which path this is, for metrics and logs: {@code crypto} or {@code local}. */
    String kind();
}
