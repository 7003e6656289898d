/** The published key set (RFC 7517) and the rotation rule that keeps it ahead of the signer (T7). */
package dev.keyline.token.jwks;
