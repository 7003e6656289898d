/** The Keyline token service. */
package dev.keyline.token;
