/** Configuration and wiring: {@link dev.keyline.token.server.TokenServer} starts the whole service from one config record. */
package dev.keyline.token.server;
