package dev.keyline.token.oauth;

import static dev.keyline.token.TokenServerFixture.SECRET;
import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.Http;
import dev.keyline.token.TokenServerFixture;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.SecretHash;
import dev.keyline.token.jwt.AccessTokenClaims;
import dev.keyline.token.server.TokenServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may start a session for whom, with which audience and subject, and who
 * may introspect what (item 10), against a real token server over loopback HTTP.
 */
class SessionAndIntrospectionAuthorizationTest {
    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static TokenServer server;
    static Http http;

    @BeforeAll
    static void start() {
        Duration access = Duration.ofMinutes(10);
        Duration refresh = Duration.ofDays(1);
        SecretHash hash = SecretHash.of(SECRET);
        List<Client> clients = List.of(
                new Client("svc", hash, Set.of(Client.CLIENT_CREDENTIALS), List.of("read"), List.of("api://svc"), access, refresh),
                // A login service granted sessions for app and noaud only.
                new Client("login", hash, Set.of(Client.SESSIONS_ISSUE), List.of(), List.of(), access, refresh, Set.of("app", "noaud")),
                // Issues sessions for itself only.
                new Client("self-login", hash, Set.of(Client.SESSIONS_ISSUE, Client.REFRESH_TOKEN), List.of("openid"), List.of("orders-rs"),
                        access, refresh),
                new Client("app", hash, Set.of(Client.REFRESH_TOKEN), List.of("openid"), List.of("api://orders", "orders-rs"), access, refresh),
                new Client("other-app", hash, Set.of(Client.REFRESH_TOKEN), List.of("openid"), List.of("api://other"), access, refresh),
                new Client("noaud", hash, Set.of(Client.REFRESH_TOKEN), List.of("openid"), List.of(), access, refresh),
                // A resource server: its client id is in app's audience.
                new Client("orders-rs", hash, Set.of(), List.of(), List.of(), access, refresh),
                new Client("auditor", hash, Set.of(Client.TOKENS_INTROSPECT), List.of(), List.of(), access, refresh),
                new Client("intruder", hash, Set.of(Client.CLIENT_CREDENTIALS), List.of(), List.of(), access, refresh));
        crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
        server = TokenServerFixture.start(crypto, dir, b -> b.clients(clients));
        http = new Http(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
        crypto.close();
    }

    private static HttpResponse<String> session(String caller, String body) {
        return http.postJson("/v1/sessions", body, "Authorization", Http.basic(caller, SECRET));
    }

    private static void assertError(HttpResponse<String> r, int status, String error) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(json(r).path("error").asText()).as(r.body()).isEqualTo(error);
    }

    private static JsonNode introspect(String caller, String token) {
        HttpResponse<String> r = http.postForm("/oauth2/introspect", Http.form(Map.of("token", token)), "Authorization",
                Http.basic(caller, SECRET));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    private static SignedJWT jwt(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
        return SignedJWT.parse(json(r).path("access_token").asText());
    }

    @Test
    void startSession_forAClientNotGrantedToTheCaller_isUnauthorizedClient() {
        assertError(session("login", "{\"subject\":\"alice\",\"client_id\":\"other-app\"}"), 400, "unauthorized_client");
        // A client it is granted works; one that is not and one that does not exist get the same answer.
        assertThat(session("login", "{\"subject\":\"alice\",\"client_id\":\"app\"}").statusCode()).isEqualTo(201);
        assertError(session("login", "{\"subject\":\"alice\",\"client_id\":\"ghost\"}"), 400, "unauthorized_client");
        // self-login has no session_clients: itself only.
        assertError(session("self-login", "{\"subject\":\"alice\",\"client_id\":\"app\"}"), 400, "unauthorized_client");
        assertThat(session("self-login", "{\"subject\":\"alice\"}").statusCode()).isEqualTo(201);
        assertThat(session("self-login", "{\"subject\":\"alice\",\"client_id\":\"self-login\"}").statusCode()).isEqualTo(201);
    }

    @Test
    void startSession_clientWithEmptyAudience_meansNoAudienceNotAny() throws Exception {
        assertError(session("login", "{\"subject\":\"bob\",\"client_id\":\"noaud\",\"audience\":[\"api://payments\"]}"), 400, "invalid_request");
        assertError(session("login", "{\"subject\":\"bob\",\"client_id\":\"noaud\",\"audience\":\"orders-rs\"}"), 400, "invalid_request");
        SignedJWT t = jwt(session("login", "{\"subject\":\"bob\",\"client_id\":\"noaud\"}"));
        assertThat(t.getJWTClaimsSet().getAudience()).isEmpty();
        // Within a non-empty audience, a subset is fine and anything else is not.
        assertThat(jwt(session("login", "{\"subject\":\"bob\",\"client_id\":\"app\",\"audience\":\"orders-rs\"}")).getJWTClaimsSet()
                .getAudience()).containsExactly("orders-rs");
        assertError(session("login", "{\"subject\":\"bob\",\"client_id\":\"app\",\"audience\":[\"orders-rs\",\"api://x\"]}"), 400,
                "invalid_request");
    }

    @Test
    void startSession_subjectInTheClientNamespace_isRefusedAndClientCredentialsSubjectsArePrefixed() throws Exception {
        assertError(session("login", "{\"subject\":\"client:svc\",\"client_id\":\"app\"}"), 400, "invalid_request");
        assertError(session("login", "{\"subject\":\"client:\",\"client_id\":\"app\"}"), 400, "invalid_request");
        String serviceSubject = jwt(clientCredentials(http, "svc", Map.of())).getJWTClaimsSet().getSubject();
        assertThat(serviceSubject).isEqualTo(AccessTokenClaims.CLIENT_SUBJECT_PREFIX + "svc");
        // A session for a user literally named "svc" cannot be taken for the service.
        String userSubject = jwt(session("login", "{\"subject\":\"svc\",\"client_id\":\"app\"}")).getJWTClaimsSet().getSubject();
        assertThat(userSubject).isEqualTo("svc").isNotEqualTo(serviceSubject);
    }

    @Test
    void startSession_customClaimsNamingIntrospectionMembers_areRefused() {
        for (String claim : List.of("active", "token_type", "username", "client_id", "exp", "act")) {
            assertError(session("login", "{\"subject\":\"carol\",\"client_id\":\"app\",\"claims\":{\"" + claim + "\":false}}"), 400,
                    "invalid_request");
        }
        assertThat(session("login", "{\"subject\":\"carol\",\"client_id\":\"app\",\"claims\":{\"tenant\":\"acme\"}}").statusCode())
                .isEqualTo(201);
    }

    @Test
    void withoutReserved_familyClaimsStoredBeforeReservation_dropsReservedNames() {
        assertThat(AccessTokenClaims.withoutReserved(Map.of("active", false, "token_type", "x", "tenant", "acme")))
                .containsExactly(Map.entry("tenant", "acme"));
        assertThatThrownBy(() -> new AccessTokenClaims("s", "c", List.of(), "", Duration.ofMinutes(1), Map.of("active", false)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void introspect_accessToken_onlyForItsClientItsAudienceOrAGrantedIntrospector() {
        String appToken = json(session("login", "{\"subject\":\"dave\",\"client_id\":\"app\",\"claims\":{\"tenant\":\"acme\"}}"))
                .path("access_token").asText();
        // aud = [api://orders, orders-rs]
        JsonNode byRs = introspect("orders-rs", appToken);
        assertThat(byRs.path("active").asBoolean()).isTrue();
        assertThat(byRs.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(byRs.path("tenant").asText()).isEqualTo("acme");
        assertThat(introspect("app", appToken).path("active").asBoolean()).as("its own client").isTrue();
        assertThat(introspect("auditor", appToken).path("active").asBoolean()).as("tokens:introspect").isTrue();
        for (String stranger : List.of("intruder", "svc", "other-app")) {
            JsonNode r = introspect(stranger, appToken);
            assertThat(r.path("active").asBoolean()).as(stranger).isFalse();
            assertThat(r.size()).as("nothing else is told to " + stranger).isEqualTo(1);
        }
        String svcToken = json(clientCredentials(http, "svc", Map.of())).path("access_token").asText();
        assertThat(introspect("svc", svcToken).path("active").asBoolean()).isTrue();
        assertThat(introspect("intruder", svcToken).path("active").asBoolean()).isFalse();
        assertThat(introspect("orders-rs", svcToken).path("active").asBoolean()).isFalse();
    }

    @Test
    void client_sessionClientsWithoutSessionsGrant_isRefusedAtRegistration() {
        assertThatThrownBy(() -> new Client("x", SecretHash.of(SECRET), Set.of(Client.REFRESH_TOKEN), List.of(), List.of(), Duration.ofMinutes(1),
                Duration.ofDays(1), Set.of("app"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessions:issue");
        assertThatThrownBy(() -> new Client("x", SecretHash.of(SECRET), Set.of(Client.SESSIONS_ISSUE), List.of(), List.of(), Duration.ofMinutes(1),
                Duration.ofDays(1), Set.of("*"))).isInstanceOf(IllegalArgumentException.class);
    }
}
