package dev.keyline.token.http;

import dev.keyline.token.oauth.OAuthError;
import dev.keyline.token.oauth.OAuthException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Strict {@code application/x-www-form-urlencoded} parsing for OAuth endpoints: a repeated
 * parameter is {@code invalid_request} (RFC 6749 §3.1/§3.2), parameters without a value count as
 * absent, and malformed percent-encoding is {@code invalid_request}, not an exception.
 */
final class Forms {
    private Forms() {
    }

    static Map<String, String> parse(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return out;
        }
        for (String pair : body.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (name.isEmpty()) {
                throw new OAuthException(OAuthError.INVALID_REQUEST, "form parameter without a name");
            }
            if (out.containsKey(name)) {
                throw new OAuthException(OAuthError.INVALID_REQUEST, "parameter " + safe(name) + " is repeated");
            }
            if (!value.isEmpty()) {
                out.put(name, value);
            } else {
                // Present without a value: treated as omitted, but a later repetition is still an error.
                out.putIfAbsent(name, null);
            }
        }
        out.values().removeIf(v -> v == null);
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "malformed form encoding");
        }
    }

    /** A parameter name fit for an error description: printable ASCII, at most 40 characters. */
    static String safe(String name) {
        String p = name.replaceAll("[^\\x20-\\x7e]", "?");
        return p.length() > 40 ? p.substring(0, 40) + "..." : p;
    }
}
