package dev.keyline.token.http;

import static dev.keyline.token.TokenServerFixture.SECRET;
import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.Http;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.TokenServerFixture;
import dev.keyline.token.server.TokenServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API over real HTTP: flows, metadata, and every kind of bad input answered per RFC 6749, never 500. */
class TokenHttpApiTest {
    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static TokenServer server;
    static Http http;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
        server = TokenServerFixture.start(crypto, dir, b -> b.maxRequestBytes(4096));
        http = new Http(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
        crypto.close();
    }

    private static void assertError(HttpResponse<String> r, int status, String error) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(json(r).path("error").asText()).isEqualTo(error);
        assertThat(r.headers().firstValue("Cache-Control").orElse("")).contains("no-store");
    }

    @Test
    void token_clientCredentialsWithBasic_returnsJwtVerifiableAgainstJwks() throws Exception {
        HttpResponse<String> r = clientCredentials(http, "svc", Map.of("scope", "read write"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(body.path("scope").asText()).isEqualTo("read write");
        assertThat(body.path("expires_in").asLong()).isEqualTo(600);
        assertThat(body.has("refresh_token")).isFalse();
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        String token = body.path("access_token").asText();
        assertThat(NimbusVerifier.verifies(token, http.get("/.well-known/jwks.json").body())).isTrue();
        SignedJWT jwt = SignedJWT.parse(token);
        assertThat(jwt.getHeader().getKeyID()).isEqualTo("token/jwt-signing/1");
        assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo(server.issuer());
        assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("api://svc");
        assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("client:svc");
    }

    @Test
    void token_clientSecretPost_works() {
        HttpResponse<String> r = http.postForm("/oauth2/token",
                Http.form(Map.of("grant_type", "client_credentials", "client_id", "svc", "client_secret", SECRET)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).path("scope").asText()).isEqualTo("read write admin");
    }

    @Test
    void token_wrongSecretOrUnknownClient_isInvalidClient401WithChallenge() {
        HttpResponse<String> wrong = http.postForm("/oauth2/token", "grant_type=client_credentials", "Authorization", Http.basic("svc", "nope"));
        assertError(wrong, 401, "invalid_client");
        assertThat(wrong.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials", "Authorization", Http.basic("ghost", SECRET)), 401,
                "invalid_client");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials"), 401, "invalid_client");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials", "Authorization", "Basic !!!notbase64"), 401,
                "invalid_client");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials", "Authorization", "Bearer abc"), 401, "invalid_client");
    }

    @Test
    void token_badRequests_areRfc6749Errors() {
        String auth = Http.basic("svc", SECRET);
        assertError(http.postForm("/oauth2/token", "grant_type=password", "Authorization", auth), 400, "unsupported_grant_type");
        assertError(http.postForm("/oauth2/token", "scope=read", "Authorization", auth), 400, "invalid_request");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials&grant_type=client_credentials", "Authorization", auth), 400,
                "invalid_request");
        assertError(http.postForm("/oauth2/token", "grant_type=%zz", "Authorization", auth), 400, "invalid_request");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials&scope=delete", "Authorization", auth), 400, "invalid_scope");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials&scope=read%20%20write", "Authorization", auth), 400,
                "invalid_scope");
        assertError(http.postJson("/oauth2/token", "{\"grant_type\":\"client_credentials\"}", "Authorization", auth), 400, "invalid_request");
        assertError(http.postForm("/oauth2/token", "grant_type=client_credentials&client_secret=" + SECRET, "Authorization", auth), 400,
                "invalid_request");
        assertError(http.postForm("/oauth2/token", "grant_type=refresh_token&refresh_token=abc", "Authorization", auth), 400,
                "unauthorized_client");
        assertError(clientCredentials(http, "idle", Map.of()), 400, "unauthorized_client");
        assertError(http.send(HttpRequest.newBuilder(URI.create(http.base() + "/oauth2/token")).header("Content-Type", "text/plain")
                .header("Authorization", auth).POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build()), 400,
                "invalid_request");
    }

    @Test
    void token_oversizedBody_is413NotServerError() {
        String big = "grant_type=client_credentials&scope=" + "a".repeat(10_000);
        HttpResponse<String> r = http.postForm("/oauth2/token", big, "Authorization", Http.basic("svc", SECRET));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(json(r).path("error").asText()).isEqualTo("invalid_request");
    }

    @Test
    void token_oversizedChunkedBody_withoutContentLength_is413() {
        byte[] big = ("grant_type=client_credentials&scope=" + "a".repeat(10_000)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(http.base() + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Authorization", Http.basic("svc", SECRET))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(json(r).path("error").asText()).isEqualTo("invalid_request");
    }

    @Test
    void token_smallChunkedBody_withoutContentLength_isServed() {
        byte[] form = "grant_type=client_credentials".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(http.base() + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Authorization", Http.basic("svc", SECRET))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(form))).build());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).path("access_token").asText()).isNotEmpty();
    }

    @Test
    void token_garbageBodies_neverServerError() {
        String auth = Http.basic("svc", SECRET);
        for (String body : new String[] {"&&&", "=", "=x", "grant_type", "%", "grant_type=client_credentials&%ff=1", "\u0000\u0001",
                "grant_type=client_credentials&scope=%E2%82", "a=b=c"}) {
            HttpResponse<String> r = http.postForm("/oauth2/token", body, "Authorization", auth);
            assertThat(r.statusCode()).as(body + " -> " + r.body()).isBetween(200, 499);
            assertThat(json(r).has("error") || json(r).has("access_token")).isTrue();
        }
    }

    @Test
    void unknownPathAndWrongMethod_areJsonErrors() {
        assertThat(http.get("/nope").statusCode()).isEqualTo(404);
        assertThat(json(http.get("/nope")).path("error").asText()).isEqualTo("invalid_request");
        HttpResponse<String> get = http.get("/oauth2/token");
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(json(get).path("error").asText()).isEqualTo("invalid_request");
    }

    @Test
    void sessions_loginServiceStartsFamily_refreshRotatesAndReuseRevokes() {
        String login = Http.basic("login", SECRET);
        HttpResponse<String> s = http.postJson("/v1/sessions",
                "{\"subject\":\"user-42\",\"client_id\":\"app\",\"scope\":\"openid orders\",\"claims\":{\"tenant\":\"acme\"}}", "Authorization", login);
        assertThat(s.statusCode()).as(s.body()).isEqualTo(201);
        String rt1 = json(s).path("refresh_token").asText();
        assertThat(rt1).hasSize(43);
        String app = Http.basic("app", SECRET);
        HttpResponse<String> r1 = http.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt1)),
                "Authorization", app);
        assertThat(r1.statusCode()).as(r1.body()).isEqualTo(200);
        String rt2 = json(r1).path("refresh_token").asText();
        assertThat(rt2).isNotEqualTo(rt1);
        assertThat(json(r1).path("scope").asText()).isEqualTo("openid orders");
        // Reuse of rt1 revokes the family: rt2 stops working too.
        assertError(http.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt1)), "Authorization", app),
                400, "invalid_grant");
        assertError(http.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt2)), "Authorization", app),
                400, "invalid_grant");
        assertThat(server.meters().scrape()).contains("keyline_token_refresh_reuse_total 1.0");
    }

    @Test
    void sessions_badRequests_areRejected() {
        String login = Http.basic("login", SECRET);
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\"}", "Authorization", Http.basic("svc", SECRET)), 400,
                "unauthorized_client");
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\",\"claims\":{\"sub\":\"admin\"}}", "Authorization",
                login), 400, "invalid_request");
        assertError(http.postJson("/v1/sessions", "not json", "Authorization", login), 400, "invalid_request");
        assertError(http.postJson("/v1/sessions", "[1,2]", "Authorization", login), 400, "invalid_request");
        assertError(http.postJson("/v1/sessions", "{\"client_id\":\"app\"}", "Authorization", login), 400, "invalid_request");
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"svc\"}", "Authorization", login), 400,
                "unauthorized_client");
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\",\"scope\":\"admin\"}", "Authorization", login), 400,
                "invalid_scope");
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"u\"}"), 401, "invalid_client");
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"app\",\"audience\":[\"api://elsewhere\"]}",
                "Authorization", login), 400, "invalid_request");
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"\",\"client_id\":\"app\"}", "Authorization", login), 400,
                "invalid_request");
        assertError(http.postJson("/v1/sessions", "{\"subject\":\"u\",\"client_id\":\"ghost\"}", "Authorization", login), 400,
                "unauthorized_client");
    }

    @Test
    void introspectAndRevoke_accessAndRefreshTokens() {
        String svc = Http.basic("svc", SECRET);
        String access = json(clientCredentials(http, "svc", Map.of())).path("access_token").asText();
        JsonNode active = json(http.postForm("/oauth2/introspect", Http.form(Map.of("token", access)), "Authorization", svc));
        assertThat(active.path("active").asBoolean()).isTrue();
        assertThat(active.path("client_id").asText()).isEqualTo("svc");
        assertThat(active.path("sub").asText()).isEqualTo("client:svc");
        HttpResponse<String> revoke = http.postForm("/oauth2/revoke", Http.form(Map.of("token", access)), "Authorization", svc);
        assertThat(revoke.statusCode()).isEqualTo(200);
        assertThat(json(http.postForm("/oauth2/introspect", Http.form(Map.of("token", access)), "Authorization", svc)).path("active").asBoolean())
                .isFalse();

        String rt = json(http.postJson("/v1/sessions", "{\"subject\":\"u1\",\"client_id\":\"app\"}", "Authorization",
                Http.basic("login", SECRET))).path("refresh_token").asText();
        String app = Http.basic("app", SECRET);
        JsonNode r = json(http.postForm("/oauth2/introspect", Http.form(Map.of("token", rt, "token_type_hint", "refresh_token")), "Authorization", app));
        assertThat(r.path("active").asBoolean()).isTrue();
        assertThat(r.path("sub").asText()).isEqualTo("u1");
        // Another client learns nothing about it and cannot revoke it.
        assertThat(json(http.postForm("/oauth2/introspect", Http.form(Map.of("token", rt)), "Authorization", svc)).path("active").asBoolean())
                .isFalse();
        assertThat(http.postForm("/oauth2/revoke", Http.form(Map.of("token", rt)), "Authorization", svc).statusCode()).isEqualTo(200);
        assertThat(json(http.postForm("/oauth2/introspect", Http.form(Map.of("token", rt)), "Authorization", app)).path("active").asBoolean())
                .isTrue();
        assertThat(http.postForm("/oauth2/revoke", Http.form(Map.of("token", rt)), "Authorization", app).statusCode()).isEqualTo(200);
        assertThat(json(http.postForm("/oauth2/introspect", Http.form(Map.of("token", rt)), "Authorization", app)).path("active").asBoolean())
                .isFalse();
        assertError(http.postForm("/oauth2/token", Http.form(Map.of("grant_type", "refresh_token", "refresh_token", rt)), "Authorization", app), 400,
                "invalid_grant");
        assertThat(json(http.postForm("/oauth2/introspect", "token=garbage", "Authorization", svc)).path("active").asBoolean()).isFalse();
        assertError(http.postForm("/oauth2/introspect", "token=x", "Authorization", Http.basic("svc", "bad")), 401, "invalid_client");
        assertError(http.postForm("/oauth2/revoke", "token=x&token_type_hint=id_token", "Authorization", svc), 400, "unsupported_token_type");
        assertError(http.postForm("/oauth2/revoke", "token_type_hint=access_token", "Authorization", svc), 400, "invalid_request");
    }

    @Test
    void wellKnown_jwksWithCacheControlAndMetadata() {
        HttpResponse<String> jwks = http.get("/.well-known/jwks.json");
        assertThat(jwks.statusCode()).isEqualTo(200);
        assertThat(jwks.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
        JsonNode keys = json(jwks).path("keys");
        assertThat(keys.size()).isEqualTo(2);
        assertThat(keys.get(0).path("kid").asText()).isEqualTo("token/jwt-signing/1");
        assertThat(keys.get(1).path("kid").asText()).startsWith("keyline-fallback/jwt-");
        for (JsonNode k : keys) {
            assertThat(k.has("d")).as("no private part").isFalse();
        }
        JsonNode md = json(http.get("/.well-known/oauth-authorization-server"));
        assertThat(md.path("issuer").asText()).isEqualTo(server.issuer());
        assertThat(md.path("token_endpoint").asText()).isEqualTo(server.issuer() + "/oauth2/token");
        assertThat(md.path("jwks_uri").asText()).isEqualTo(server.issuer() + "/.well-known/jwks.json");
        assertThat(md.path("token_endpoint_auth_methods_supported").toString()).contains("client_secret_basic", "client_secret_post");
    }

    @Test
    void healthAndMetrics_metricsOnlyOnTheManagementPort() {
        HttpResponse<String> h = http.get("/health");
        assertThat(h.statusCode()).isEqualTo(200);
        assertThat(json(h).path("status").asText()).isEqualTo("UP");
        assertThat(h.headers().firstValue("Cache-Control")).hasValue("no-store");
        // The kit's Health shape: each check a status, a fixed detail and its attributes.
        var checks = json(h).path("checks");
        assertThat(checks.path("crypto_service").path("status").asText()).isEqualTo("UP");
        assertThat(checks.path("crypto_service").path("detail").asText()).isEqualTo("the crypto service answers");
        assertThat(checks.path("crypto_service").path("circuit").asText()).isEqualTo("CLOSED");
        assertThat(checks.path("storage").path("kind").asText()).isEqualTo("memory");
        assertThat(checks.path("storage").path("detail").asText()).isEqualTo("in this process");
        assertThat(checks.path("signer").path("path").asText()).isEqualTo("crypto");
        assertThat(checks.path("signer").path("fallback").isBoolean()).isTrue();
        assertThat(checks.path("signer").path("detail").asText()).isEqualTo("tokens are signed through the crypto service");
        clientCredentials(http, "svc", Map.of());
        // The public port does not serve metrics (they name clients, routes and outcomes).
        HttpResponse<String> publicMetrics = http.get("/metrics");
        assertThat(publicMetrics.statusCode()).isEqualTo(404);
        assertThat(publicMetrics.body()).doesNotContain("keyline_token");
        Http management = new Http(server.managementUrl());
        assertThat(server.managementPort()).isNotEqualTo(server.port());
        assertThat(server.managementUrl()).startsWith("http://127.0.0.1:");
        HttpResponse<String> metrics = management.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("keyline_token_access_tokens_total{signer=\"crypto\"}").contains("keyline_token_http_requests");
        HttpResponse<String> managementHealth = management.get("/health");
        assertThat(managementHealth.statusCode()).isEqualTo(200);
        assertThat(json(managementHealth).path("status").asText()).isEqualTo("UP");
        assertThat(json(managementHealth).path("checks").path("crypto_service").path("detail").asText()).isEqualTo("the crypto service answers");
    }

    @Test
    void correlationId_isEchoed() {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(http.base() + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Authorization", Http.basic("svc", SECRET))
                .header("X-Correlation-Id", "corr-123").POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build());
        assertThat(r.headers().firstValue("X-Correlation-Id")).hasValue("corr-123");
    }
}
