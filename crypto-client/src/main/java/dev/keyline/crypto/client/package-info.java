/**
 * The Keyline crypto client: what every caller of the crypto service embeds. Start at
 * {@code CryptoClientFactory}.
 */
package dev.keyline.crypto.client;
