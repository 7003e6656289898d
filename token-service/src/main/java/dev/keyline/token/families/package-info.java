/** Refresh-token families (RFC 9700): rotation, reuse detection, revocation. */
package dev.keyline.token.families;
