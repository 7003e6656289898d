package dev.keyline.token.clients;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A registered OAuth client: who it is, how it authenticates (a hashed secret), what it may do.
 *
 * @param grants {@code client_credentials}, {@code refresh_token}, {@code sessions:issue} (may
 *     call {@code POST /v1/sessions} to start token families for users, for itself and for the
 *     clients in {@code sessionClients}) and/or {@code tokens:introspect} (may introspect any
 *     access token, not only those whose audience names it)
 * @param scopes the scopes it may request; a request without {@code scope} gets all of them
 * @param audience the {@code aud} of its access tokens; empty means its tokens have no audience
 * @param accessTokenLifetime lifetime of its access tokens
 * @param refreshTokenLifetime absolute lifetime of the token families it starts
 * @param sessionClients the other clients a {@code sessions:issue} caller may start sessions for
 *     (explicit grants; no wildcard)
 */
public record Client(String id, SecretHash secretHash, Set<String> grants, List<String> scopes, List<String> audience,
        Duration accessTokenLifetime, Duration refreshTokenLifetime, Set<String> sessionClients) {
    public static final String CLIENT_CREDENTIALS = "client_credentials";
    public static final String REFRESH_TOKEN = "refresh_token";
    public static final String SESSIONS_ISSUE = "sessions:issue";
    public static final String TOKENS_INTROSPECT = "tokens:introspect";
    public static final Set<String> KNOWN_GRANTS = Set.of(CLIENT_CREDENTIALS, REFRESH_TOKEN, SESSIONS_ISSUE, TOKENS_INTROSPECT);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    /** RFC 6749 §3.3 scope-token: printable ASCII except space, '"' and '\'. */
    static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5b\\x5d-\\x7e]+");

    public Client {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(secretHash, "secretHash");
        grants = Set.copyOf(grants);
        scopes = List.copyOf(scopes);
        audience = List.copyOf(audience);
        Objects.requireNonNull(accessTokenLifetime, "accessTokenLifetime");
        Objects.requireNonNull(refreshTokenLifetime, "refreshTokenLifetime");
        sessionClients = Set.copyOf(sessionClients);
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("client id must match [A-Za-z0-9._:-]{1,128}");
        }
        for (String c : sessionClients) {
            if (!ID.matcher(c).matches()) {
                throw new IllegalArgumentException("client " + id + ": session client '" + c + "' is not a client id");
            }
        }
        if (!sessionClients.isEmpty() && !grants.contains(SESSIONS_ISSUE)) {
            throw new IllegalArgumentException("client " + id + ": session_clients needs the " + SESSIONS_ISSUE + " grant");
        }
        for (String g : grants) {
            if (!KNOWN_GRANTS.contains(g)) {
                throw new IllegalArgumentException("client " + id + ": unknown grant " + g + " (known: " + new TreeSet<>(KNOWN_GRANTS) + ")");
            }
        }
        for (String s : scopes) {
            if (!SCOPE_TOKEN.matcher(s).matches()) {
                throw new IllegalArgumentException("client " + id + ": scope '" + s + "' is not an RFC 6749 scope token");
            }
        }
        if (accessTokenLifetime.isNegative() || accessTokenLifetime.isZero() || accessTokenLifetime.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("client " + id + ": access token lifetime must be positive and at most 1 day");
        }
        if (refreshTokenLifetime.isNegative() || refreshTokenLifetime.isZero() || refreshTokenLifetime.compareTo(Duration.ofDays(366)) > 0) {
            throw new IllegalArgumentException("client " + id + ": refresh token lifetime must be positive and at most 366 days");
        }
    }

    /** A client that may start sessions for no other client. */
    public Client(String id, SecretHash secretHash, Set<String> grants, List<String> scopes, List<String> audience,
            Duration accessTokenLifetime, Duration refreshTokenLifetime) {
        this(id, secretHash, grants, scopes, audience, accessTokenLifetime, refreshTokenLifetime, Set.of());
    }

    /** Whether this client, calling {@code /v1/sessions}, may start a session owned by {@code owner}. */
    public boolean mayIssueSessionsFor(String owner) {
        return grants.contains(SESSIONS_ISSUE) && (id.equals(owner) || sessionClients.contains(owner));
    }

    /** A client and its secret in the clear, which exists only here: print it once, store {@link #client()}. */
    public record NewClient(Client client, String secret) {
        @Override
        public String toString() {
            return "NewClient[" + client.id() + ", secret redacted]";
        }
    }

    /**
     * A new client with a random 256-bit secret (what {@code keyline clients create} does):
     * returns the entry to store and the secret to show once.
     */
    public static NewClient create(String id, Set<String> grants, List<String> scopes, List<String> audience,
            Duration accessTokenLifetime, Duration refreshTokenLifetime, SecureRandom random) {
        String secret = SecretHash.newSecret(random);
        return new NewClient(new Client(id, SecretHash.of(secret), grants, scopes, audience, accessTokenLifetime, refreshTokenLifetime),
                secret);
    }

    public boolean mayUse(String grant) {
        return grants.contains(grant);
    }

    /** The entry as the clients file stores it (see {@link ClientsFile}). */
    public Map<String, Object> toFileEntry() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("secret_hash", secretHash.text());
        m.put("grants", new TreeSet<>(grants).stream().toList());
        m.put("scopes", scopes);
        m.put("audience", audience);
        m.put("access_token_lifetime", accessTokenLifetime.toString());
        m.put("refresh_token_lifetime", refreshTokenLifetime.toString());
        if (!sessionClients.isEmpty()) {
            m.put("session_clients", new TreeSet<>(sessionClients).stream().toList());
        }
        return m;
    }
}
