/** The HTTP edge (Javalin): routes, parsing, and the one mapping of failures to RFC 6749 responses. */
package dev.keyline.token.http;
