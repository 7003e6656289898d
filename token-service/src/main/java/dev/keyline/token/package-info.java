/**
 * The Keyline token service: OAuth 2.0 token endpoint (client credentials, refresh with RFC 9700
 * rotation, sessions), JWTs signed through the crypto service, a JWKS that survives rotation, and
 * encrypted refresh-token families. Start it with {@link dev.keyline.token.server.TokenServer}.
 */
package dev.keyline.token;
