/**
 * JWT signing: the {@link dev.keyline.token.jwt.KmsSigner} seam with its crypto-service and local
 * implementations, the Nimbus signer that delegates to it, access-token minting with fallback, and
 * verification of our own tokens.
 */
package dev.keyline.token.jwt;
