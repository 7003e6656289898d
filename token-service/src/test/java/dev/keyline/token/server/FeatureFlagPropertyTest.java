package dev.keyline.token.server;

import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.Http;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.TokenServerFixture;
import dev.keyline.token.jwt.LocalSigner;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T11, feature flag behaviour: the signing path is whatever the run-time flag says — the crypto
 * service or the local PEM key — switched over HTTP on the management port with the admin token,
 * without restart; either way the token verifies against the published JWKS under the kid of the
 * flagged path. The domain is small (2 previous values × 2 new values × 3 scopes = 12 cases), so
 * every combination is enumerated with plain loops rather than sampled: QuickTheories skips
 * repeated examples, so "100 examples" over 12 values would run at most 12 anyway.
 */
class FeatureFlagPropertyTest {
    static final String ADMIN = "admin-token-for-the-flag-tests-0001";
    static final List<String> PATHS = List.of("crypto", "local");
    static final List<String> SCOPES = List.of("read", "write", "admin");

    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static TokenServer server;
    static Http http;
    static Http management;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
        Path local = dir.resolve("local.pem");
        LocalSigner.writeNewKeyFile(local, KeyAlgorithm.ECDSA_P384_SHA384, new SecureRandom());
        server = TokenServerFixture.start(crypto, dir, b -> b.localKeyFile(local).localKeyAlgorithm(KeyAlgorithm.ECDSA_P384_SHA384)
                .adminToken(SecretBytes.copyOf(ADMIN.getBytes(StandardCharsets.UTF_8))));
        http = new Http(server.baseUrl());
        management = new Http(server.managementUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
        crypto.close();
    }

    static HttpResponse<String> putFlag(Http on, String flag, String value, String authorization) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(on.base() + "/admin/flags/" + flag)).header("Content-Type", "application/json")
                .header("x-correlation-id", "flag-test-1").PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"" + value + "\"}"));
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        return on.send(r.build());
    }

    static double changes(String to) {
        Matcher m = Pattern.compile("keyline_token_flag_changes_total\\{flag=\"signing\",to=\"" + to + "\"} ([0-9.E]+)")
                .matcher(management.get("/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void putFlag_everyPreviousAndNewSigningPathAndScope_signsOnTheFlaggedPathAndVerifiesAgainstJwks() throws Exception {
        String jwks = http.get("/.well-known/jwks.json").body();
        int cases = 0;
        for (String previous : PATHS) {
            for (String next : PATHS) {
                for (String scope : SCOPES) {
                    double toNextBefore = changes(next);
                    assertThat(putFlag(management, "signing", previous, "Bearer " + ADMIN).statusCode()).isEqualTo(200);
                    HttpResponse<String> flip = putFlag(management, "signing", next, "Bearer " + ADMIN);
                    assertThat(flip.statusCode()).as(flip.body()).isEqualTo(200);
                    assertThat(json(flip).path("from").asText()).isEqualTo(previous);
                    assertThat(json(flip).path("to").asText()).isEqualTo(next);
                    assertThat(json(flip).path("correlation_id").asText()).isEqualTo("flag-test-1");
                    // Every accepted change is counted, including the one that set the previous value.
                    assertThat(changes(next) - toNextBefore).isEqualTo(previous.equals(next) ? 2.0 : 1.0);

                    HttpResponse<String> r = clientCredentials(http, "svc", Map.of("scope", scope));
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                    String token = json(r).path("access_token").asText();
                    SignedJWT jwt = SignedJWT.parse(token);
                    if (next.equals("crypto")) {
                        assertThat(jwt.getHeader().getKeyID()).isEqualTo("token/jwt-signing/1");
                        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
                    } else {
                        assertThat(jwt.getHeader().getKeyID()).startsWith("local/jwt-");
                        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES384");
                    }
                    assertThat(jwt.getJWTClaimsSet().getStringClaim("scope")).isEqualTo(scope);
                    assertThat(NimbusVerifier.verifies(token, jwks)).isTrue();
                    assertThat(json(management.get("/health")).path("checks").path("signer").path("path").asText()).isEqualTo(next);
                    cases++;
                }
            }
        }
        assertThat(cases).isEqualTo(PATHS.size() * PATHS.size() * SCOPES.size());
    }

    @Test
    void putFlag_withoutOrWithWrongAdminToken_isRefusedAndChangesNothing() {
        putFlag(management, "signing", "crypto", "Bearer " + ADMIN);
        for (String auth : new String[] {null, "Bearer ", "Bearer " + ADMIN + "x", "Bearer " + ADMIN.substring(1), "Basic " + ADMIN,
                "Bearer " + TokenServerFixture.serviceToken(crypto)}) {
            HttpResponse<String> r = putFlag(management, "signing", "local", auth);
            assertThat(r.statusCode()).as(String.valueOf(auth)).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        }
        assertThat(server.cryptoSigning()).isTrue();
        assertThat(management.send(HttpRequest.newBuilder(URI.create(management.base() + "/admin/flags")).GET().build()).statusCode())
                .isEqualTo(401);
        // The public API port has no admin endpoint at all.
        assertThat(putFlag(http, "signing", "local", "Bearer " + ADMIN).statusCode()).isEqualTo(404);
        assertThat(server.cryptoSigning()).isTrue();
    }

    @Test
    void putFlag_unknownFlagOrValueNotOffered_isATypedErrorAndChangesNothing() {
        putFlag(management, "signing", "crypto", "Bearer " + ADMIN);
        HttpResponse<String> unknown = putFlag(management, "no_such_flag", "off", "Bearer " + ADMIN);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).path("error").asText()).isEqualTo("unknown_flag");
        HttpResponse<String> bad = putFlag(management, "signing", "hsm", "Bearer " + ADMIN);
        assertThat(bad.statusCode()).isEqualTo(409);
        assertThat(json(bad).path("error").asText()).isEqualTo("value_not_offered");
        assertThat(json(bad).path("error_description").asText()).contains("crypto or local");
        HttpResponse<String> empty = management.send(HttpRequest.newBuilder(URI.create(management.base() + "/admin/flags/signing"))
                .header("Authorization", "Bearer " + ADMIN).PUT(HttpRequest.BodyPublishers.ofString("not json")).build());
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(server.cryptoSigning()).isTrue();
        HttpResponse<String> list = management.send(HttpRequest.newBuilder(URI.create(management.base() + "/admin/flags"))
                .header("Authorization", "Bearer " + ADMIN).GET().build());
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(json(list).path("flags").path("signing").asText()).isEqualTo("crypto");
        assertThat(json(list).path("offered").path("signing").toString()).isEqualTo("[\"crypto\",\"local\"]");
    }

    @Test
    void putFlag_localPathWithoutALocalKey_isRefusedAndNoAdminTokenMeansNoEndpoint() {
        try (TokenServer cryptoOnly = TokenServerFixture.start(crypto, dir, b -> b.adminToken(SecretBytes.copyOf(ADMIN.getBytes(StandardCharsets.UTF_8))));
                TokenServer noAdmin = TokenServerFixture.start(crypto, dir, b -> { })) {
            Http m = new Http(cryptoOnly.managementUrl());
            HttpResponse<String> r = putFlag(m, "signing", "local", "Bearer " + ADMIN);
            assertThat(r.statusCode()).isEqualTo(409);
            assertThat(cryptoOnly.cryptoSigning()).isTrue();
            HttpResponse<String> off = putFlag(new Http(noAdmin.managementUrl()), "signing", "local", "Bearer " + ADMIN);
            assertThat(off.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void validate_shortAdminToken_isAProblemThatDoesNotEchoIt() {
        TokenServerConfig c = TokenServerFixture.config(crypto, dir).adminToken(SecretBytes.copyOf("short-secret".getBytes(StandardCharsets.UTF_8)))
                .build();
        assertThat(c.validate()).anySatisfy(p -> assertThat(p).startsWith("adminToken:")).noneSatisfy(p -> assertThat(p).contains("short-secret"));
    }

    @Test
    void start_localSignerWithoutCryptoService_issuesTokensFromThePemKey() throws Exception {
        Path local = dir.resolve("only-local.pem");
        LocalSigner.writeNewKeyFile(local, KeyAlgorithm.ED25519, new SecureRandom());
        TokenServerConfig config = TokenServerConfig.builder().httpPort(0).managementPort(0).clients(TokenServerFixture.clients())
                .signer(TokenServerConfig.SignerKind.LOCAL).localKeyFile(local).localKeyAlgorithm(KeyAlgorithm.ED25519)
                .cacheEncryption(false).build();
        try (TokenServer alone = TokenServer.start(config)) {
            Http h = new Http(alone.baseUrl());
            HttpResponse<String> r = clientCredentials(h, "svc", Map.of());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            String token = json(r).path("access_token").asText();
            assertThat(SignedJWT.parse(token).getHeader().getAlgorithm().getName()).isEqualTo("EdDSA");
            assertThat(NimbusVerifier.verifies(token, h.get("/.well-known/jwks.json").body())).isTrue();
            assertThat(json(h.get("/health")).path("status").asText()).isEqualTo("UP");
            assertThat(alone.flags().offered("signing")).containsExactly("local");
        }
    }
}
