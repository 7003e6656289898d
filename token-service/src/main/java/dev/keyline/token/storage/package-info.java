/** The {@link dev.keyline.token.storage.TokenStore} port (memory, Redis) and its envelope-encrypting decorator. */
package dev.keyline.token.storage;
