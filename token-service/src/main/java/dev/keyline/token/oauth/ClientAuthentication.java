package dev.keyline.token.oauth;

import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientRegistry;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3.1):
 * {@code client_secret_basic} (HTTP Basic with the form-urlencoded id and secret) or
 * {@code client_secret_post} ({@code client_id} and {@code client_secret} in the form) — exactly
 * one of them. Every failure is {@code invalid_client} (401), without saying whether the id or
 * the secret was wrong.
 */
public final class ClientAuthentication {
    private ClientAuthentication() {
    }

    /**
     * @param authorization the {@code Authorization} header, if any
     * @param form the request's form parameters
     */
    public static Client authenticate(ClientRegistry clients, Optional<String> authorization, Map<String, String> form) {
        boolean postSecret = form.containsKey("client_secret");
        if (authorization.isPresent()) {
            String header = authorization.get().trim();
            if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
                throw new OAuthException(OAuthError.INVALID_CLIENT, "unsupported authorization scheme; use HTTP Basic or client_secret_post");
            }
            if (postSecret) {
                throw new OAuthException(OAuthError.INVALID_REQUEST, "use one client authentication method, not HTTP Basic and client_secret together");
            }
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new OAuthException(OAuthError.INVALID_CLIENT, "malformed HTTP Basic credentials");
            }
            int colon = decoded.indexOf(':');
            if (colon < 1) {
                throw new OAuthException(OAuthError.INVALID_CLIENT, "malformed HTTP Basic credentials");
            }
            String id = formDecode(decoded.substring(0, colon));
            String secret = formDecode(decoded.substring(colon + 1));
            if (form.containsKey("client_id") && !form.get("client_id").equals(id)) {
                throw new OAuthException(OAuthError.INVALID_REQUEST, "client_id differs from the HTTP Basic client");
            }
            return check(clients, id, secret);
        }
        if (postSecret) {
            String id = form.get("client_id");
            if (id == null || id.isEmpty()) {
                throw new OAuthException(OAuthError.INVALID_CLIENT, "client_id is required with client_secret");
            }
            return check(clients, id, form.get("client_secret"));
        }
        throw new OAuthException(OAuthError.INVALID_CLIENT, "client authentication is required (HTTP Basic or client_secret_post)");
    }

    private static Client check(ClientRegistry clients, String id, String secret) {
        return clients.authenticate(id, secret).orElseThrow(() -> new OAuthException(OAuthError.INVALID_CLIENT, "client authentication failed"));
    }

    private static String formDecode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new OAuthException(OAuthError.INVALID_CLIENT, "malformed HTTP Basic credentials");
        }
    }
}
