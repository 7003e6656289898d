package dev.keyline.token.oauth;

import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientRegistry;
import dev.keyline.token.families.TokenFamilies;
import dev.keyline.token.jwt.AccessTokenClaims;
import dev.keyline.token.jwt.AccessTokenVerifier;
import dev.keyline.token.jwt.IssuedJwt;
import dev.keyline.token.jwt.JwtIssuer;
import dev.keyline.token.jwt.VerifiedToken;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The OAuth 2.0 flows, as plain Java over an authenticated {@link Client}: client credentials
 * (RFC 6749 §4.4), refresh (§6, with RFC 9700 rotation), session start ({@code /v1/sessions}),
 * introspection (RFC 7662) and revocation (RFC 7009). Transport concerns (forms, headers, JSON)
 * stay in the {@code http} package.
 */
public final class TokenEndpoint {
    private static final Pattern SUBJECT = Pattern.compile("[\\x21-\\x7e]{1,256}");
    private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5b\\x5d-\\x7e]+");

    private final JwtIssuer issuer;
    private final TokenFamilies families;
    private final AccessTokenVerifier verifier;
    private final RevokedAccessTokens revoked;
    private final ClientRegistry clients;

    public TokenEndpoint(JwtIssuer issuer, TokenFamilies families, AccessTokenVerifier verifier, RevokedAccessTokens revoked,
            ClientRegistry clients) {
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.families = Objects.requireNonNull(families, "families");
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.revoked = Objects.requireNonNull(revoked, "revoked");
        this.clients = Objects.requireNonNull(clients, "clients");
    }

    /**
     * {@code grant_type=client_credentials}: an access token for the client itself; no refresh
     * token. Its {@code sub} is {@code client:<client id>} ({@link AccessTokenClaims#CLIENT_SUBJECT_PREFIX}),
     * a subject no session can have.
     */
    public TokenResponse clientCredentials(Client client, Optional<String> scope) {
        requireGrant(client, Client.CLIENT_CREDENTIALS);
        String granted = grantScope(client.scopes(), scope);
        IssuedJwt jwt = issuer.issue(new AccessTokenClaims(AccessTokenClaims.CLIENT_SUBJECT_PREFIX + client.id(), client.id(), client.audience(), granted,
                client.accessTokenLifetime(), Map.of()));
        return new TokenResponse(jwt.token(), seconds(client.accessTokenLifetime()), granted, Optional.empty());
    }

    /**
     * {@code grant_type=refresh_token}: rotates the family and returns a new access token and a new
     * refresh token. {@code scope}, when given, must be within the family's scope and narrows only
     * this access token.
     */
    public TokenResponse refresh(Client client, String refreshToken, Optional<String> scope) {
        requireGrant(client, Client.REFRESH_TOKEN);
        if (refreshToken == null || refreshToken.isEmpty()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "refresh_token is required");
        }
        // The access token is signed before the family rotates: if signing fails, the presented token stays valid.
        TokenFamilies.Refreshed<IssuedJwt> r = families.refresh(refreshToken, client.id(), f -> issuer.issue(new AccessTokenClaims(
                f.subject(), client.id(), f.audience(), grantScope(splitScope(f.scope()), scope), client.accessTokenLifetime(),
                AccessTokenClaims.withoutReserved(f.extraClaims()))));
        String granted = grantScope(splitScope(r.issued().family().scope()), scope);
        return new TokenResponse(r.result().token(), seconds(client.accessTokenLifetime()), granted, Optional.of(r.issued().refreshToken()));
    }

    /**
     * {@code POST /v1/sessions}: for a caller with the {@code sessions:issue} grant (a login
     * service), an access token and the first refresh token of a new family for {@code subject}.
     * The family belongs to the caller itself or to a client listed in the caller's
     * {@code session_clients}; its audience is within that client's audience (none when the client
     * has none); the subject may not start with {@code client:}, the prefix of
     * {@code client_credentials} subjects.
     */
    public TokenResponse startSession(Client caller, SessionRequest request) {
        requireGrant(caller, Client.SESSIONS_ISSUE);
        if (!SUBJECT.matcher(request.subject()).matches()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "subject must be 1-256 printable ASCII characters");
        }
        if (request.subject().startsWith(AccessTokenClaims.CLIENT_SUBJECT_PREFIX)) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "subject may not start with '" + AccessTokenClaims.CLIENT_SUBJECT_PREFIX
                    + "' (reserved for client_credentials tokens)");
        }
        String ownerId = request.clientId().orElse(caller.id());
        if (!caller.mayIssueSessionsFor(ownerId)) {
            // The same answer whether or not the client exists: no probing for client ids.
            throw new OAuthException(OAuthError.UNAUTHORIZED_CLIENT, "client " + caller.id() + " may not start sessions for that client_id");
        }
        Client owner = ownerId.equals(caller.id()) ? caller : clients.find(ownerId)
                .orElseThrow(() -> new OAuthException(OAuthError.INVALID_REQUEST, "unknown client_id"));
        if (!owner.mayUse(Client.REFRESH_TOKEN)) {
            throw new OAuthException(OAuthError.UNAUTHORIZED_CLIENT, "client " + owner.id() + " may not use refresh tokens");
        }
        for (String k : request.claims().keySet()) {
            if (AccessTokenClaims.RESERVED.contains(k)) {
                throw new OAuthException(OAuthError.INVALID_REQUEST, "claim " + k + " is set by the token service");
            }
        }
        String granted = grantScope(owner.scopes(), request.scope().isEmpty() ? Optional.empty() : Optional.of(request.scope()));
        List<String> audience = request.audience().isEmpty() ? owner.audience() : request.audience();
        // An empty client audience means tokens without audience, not tokens for any audience.
        if (!owner.audience().containsAll(audience)) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "audience must be within the audience of client " + owner.id());
        }
        // Sign first: if signing fails, no family is left behind that nobody holds a token for.
        IssuedJwt jwt = issuer.issue(new AccessTokenClaims(request.subject(), owner.id(), audience, granted, owner.accessTokenLifetime(),
                request.claims()));
        TokenFamilies.Issued family = families.start(request.subject(), owner.id(), granted, audience, request.claims(),
                owner.refreshTokenLifetime());
        return new TokenResponse(jwt.token(), seconds(owner.accessTokenLifetime()), granted, Optional.of(family.refreshToken()));
    }

    /**
     * RFC 7662: {@code {active: false}} for anything not a live token of this service, and for
     * tokens the caller may not see. An access token is shown to the client it was issued to, to
     * a client its audience names (a resource server whose client id is in {@code aud}), and to a
     * client with the {@code tokens:introspect} grant; a refresh token only to the client it
     * belongs to. {@code active} and {@code token_type} are always this service's: custom claims
     * cannot set them (they are reserved at issue, and written last here).
     */
    public Map<String, Object> introspect(Client caller, String token, Optional<String> hint) {
        if (token == null || token.isEmpty()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "token is required");
        }
        boolean refreshFirst = hint.map("refresh_token"::equals).orElse(false);
        Optional<Map<String, Object>> r = refreshFirst ? introspectRefresh(caller, token).or(() -> introspectAccess(caller, token))
                : introspectAccess(caller, token).or(() -> introspectRefresh(caller, token));
        return r.orElseGet(() -> Map.of("active", false));
    }

    private Optional<Map<String, Object>> introspectAccess(Client caller, String token) {
        if (token.indexOf('.') < 0) {
            return Optional.empty();
        }
        Optional<VerifiedToken> v = verifier.verify(token);
        if (v.isEmpty() || !mayIntrospect(caller, v.get()) || revoked.isRevoked(v.get().jti())) {
            return Optional.empty();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("active", true);
        m.put("token_type", "Bearer");
        // Claims first, then this service's members again: a claim of a token issued before these
        // names were reserved still cannot pose as them.
        m.putAll(v.get().claims());
        m.put("active", true);
        m.put("token_type", "Bearer");
        return Optional.of(m);
    }

    private static boolean mayIntrospect(Client caller, VerifiedToken token) {
        return caller.mayUse(Client.TOKENS_INTROSPECT) || caller.id().equals(token.clientId()) || token.audience().contains(caller.id());
    }

    private Optional<Map<String, Object>> introspectRefresh(Client caller, String token) {
        return families.inspect(token).filter(i -> i.active() && i.family().clientId().equals(caller.id())).map(i -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("active", true);
            m.put("token_type", "refresh_token");
            m.put("client_id", i.family().clientId());
            m.put("sub", i.family().subject());
            m.put("scope", i.family().scope());
            m.put("exp", i.family().expiresAt().getEpochSecond());
            m.put("iat", i.family().rotatedAt().getEpochSecond());
            return m;
        });
    }

    /**
     * RFC 7009: a refresh token revokes its whole family; an access token goes on the deny list
     * until it expires. Unknown tokens, and tokens of other clients, change nothing and are not
     * reported (the answer is the same 200 either way, so revocation cannot probe for tokens).
     */
    public void revoke(Client caller, String token, Optional<String> hint) {
        if (token == null || token.isEmpty()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "token is required");
        }
        if (hint.isPresent() && !hint.get().equals("access_token") && !hint.get().equals("refresh_token")) {
            throw new OAuthException(OAuthError.UNSUPPORTED_TOKEN_TYPE, "token_type_hint must be access_token or refresh_token");
        }
        if (token.indexOf('.') >= 0) {
            verifier.verify(token).filter(v -> v.clientId().equals(caller.id())).ifPresent(v -> revoked.revoke(v.jti(), v.expiresAt()));
            return;
        }
        families.revoke(token, caller.id());
    }

    private static void requireGrant(Client client, String grant) {
        if (!client.mayUse(grant)) {
            throw new OAuthException(OAuthError.UNAUTHORIZED_CLIENT, "client " + client.id() + " may not use " + grant);
        }
    }

    /** The scope to grant: the requested tokens (each allowed), or everything allowed when none was requested. */
    static String grantScope(List<String> allowed, Optional<String> requested) {
        if (requested.isEmpty()) {
            return String.join(" ", allowed);
        }
        String r = requested.get();
        if (r.isEmpty() || r.startsWith(" ") || r.endsWith(" ") || r.contains("  ")) {
            throw new OAuthException(OAuthError.INVALID_SCOPE, "scope must be scope tokens separated by single spaces");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String s : r.split(" ")) {
            if (!SCOPE_TOKEN.matcher(s).matches()) {
                throw new OAuthException(OAuthError.INVALID_SCOPE, "malformed scope token");
            }
            if (!allowed.contains(s)) {
                throw new OAuthException(OAuthError.INVALID_SCOPE, "scope " + s + " is not allowed for this client");
            }
            out.add(s);
        }
        return String.join(" ", out);
    }

    private static List<String> splitScope(String scope) {
        return scope.isEmpty() ? List.of() : new ArrayList<>(List.of(scope.split(" ")));
    }

    private static long seconds(Duration d) {
        return d.toSeconds();
    }
}
