/** The OAuth 2.0 flows and their errors, as plain Java over authenticated clients. */
package dev.keyline.token.oauth;
