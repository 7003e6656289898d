package dev.keyline.token.storage;

import dev.keyline.crypto.client.EnvelopeEncryptor;
import java.util.Objects;

/**
 * Encrypts cache values for {@link EncryptedTokenStore} (the seed's {@code CryptoEncryptor}):
 * envelope encryption from the client library — AES-256-GCM in this process under a data key the
 * crypto service generated and wrapped — so reading a family costs no network call while the data
 * key is cached. The AAD is authenticated: a value decrypts only with the AAD it was encrypted with.
 */
public final class CryptoEncryptor {
    private final EnvelopeEncryptor envelopes;

    public CryptoEncryptor(EnvelopeEncryptor envelopes) {
        this.envelopes = Objects.requireNonNull(envelopes, "envelopes");
    }

    public byte[] encrypt(byte[] plaintext, byte[] aad) {
        return envelopes.encrypt(plaintext, aad);
    }

    /** Fails with {@code DECRYPTION_FAILED} when the envelope was changed or {@code aad} differs. */
    public byte[] decrypt(byte[] envelope, byte[] aad) {
        return envelopes.decrypt(envelope, aad);
    }

    @Override
    public String toString() {
        return "CryptoEncryptor[" + envelopes + "]";
    }
}
