/** A load generator for RFC 6749 token endpoints. */
package dev.keyline.token.bench;
