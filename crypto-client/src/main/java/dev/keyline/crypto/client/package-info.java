/**
 * The Keyline crypto client: what every caller of the crypto service embeds. Start at
 * {@link dev.keyline.crypto.client.CryptoClientFactory}:
 *
 * <pre>{@code
 * CryptoClientConfig config = CryptoClientConfig.builder()
 *         .endpoint("127.0.0.1:50051")            // or .endpoints(List.of(...)): round-robin
 *         .authToken(token)
 *         .signingKeyId("token/jwt").signing(true)
 *         .encryptionKeyId("token/families").cacheEncryption(true)
 *         .build();                                // one INVALID_CONFIG listing every problem
 * try (CryptoClient crypto = CryptoClientFactory.builder(config).meterRegistry(registry).build()) {
 *     SignResult s = RequestContext.call(RequestContext.of(correlationId), () -> crypto.sign(data));
 *     EnvelopeEncryptor cache = EnvelopeEncryptor.of(crypto, config);
 *     byte[] sealed = cache.encrypt(plaintext, aad);
 * }
 * }</pre>
 *
 * <p>Public API: {@link dev.keyline.crypto.client.CryptoClient} (the seam),
 * {@link dev.keyline.crypto.client.CryptoClientConfig}, {@link dev.keyline.crypto.client.CryptoClientFactory},
 * {@link dev.keyline.crypto.client.RequestContext}, {@link dev.keyline.crypto.client.FallbackHandler},
 * {@link dev.keyline.crypto.client.EnvelopeEncryptor} and the result records. Everything else in
 * this package is package-private.
 */
package dev.keyline.crypto.client;
