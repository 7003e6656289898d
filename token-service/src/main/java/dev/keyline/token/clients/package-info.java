/** Registered OAuth clients: entries, the clients file, hashed secrets and authentication. */
package dev.keyline.token.clients;
