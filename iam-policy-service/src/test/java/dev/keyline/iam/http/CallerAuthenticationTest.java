package dev.keyline.iam.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import dev.keyline.iam.testing.Tokens;
import dev.keyline.testing.Examples;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An attacker on the network without a valid access token of the token service
 * gets 401 (403 without the scope), a typed JSON error, never a decision and never a 500.
 */
class CallerAuthenticationTest {
    private static final String BODY = Http.authorizeBody("User", "mallory", "read", "Document", "payroll");

    @TempDir
    static Path tmp;
    static IamFixture f;
    static Http anonymous;

    @BeforeAll
    static void start() {
        f = IamFixture.start(tmp, "caller-auth");
        anonymous = f.http.anonymous();
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    private static void assertUnauthenticated(Http.Response r) {
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
    }

    @Test
    void authorize_withoutAToken_is401OnEveryDecisionEndpoint() {
        assertUnauthenticated(anonymous.post("/v1/authorize", BODY));
        assertUnauthenticated(anonymous.post("/v1/authorize/batch", "{\"requests\":[" + BODY + "]}"));
        assertUnauthenticated(anonymous.post("/v1/decisions/verify", "{}"));
        assertUnauthenticated(anonymous.get("/v1/policies"));
        assertUnauthenticated(anonymous.post("/v1/policies/reload", ""));
    }

    @Test
    void authorize_withInvalidTokens_is401() {
        String valid = f.tokens.mint("app", "iam:authorize");
        String tampered = valid.substring(0, valid.length() - 4) + (valid.endsWith("AAAA") ? "BBBB" : "AAAA");
        String[] parts = valid.split("\\.");
        String unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0." + parts[1] + ".";

        assertUnauthenticated(f.http.withBearer("not-a-jwt").post("/v1/authorize", BODY));
        assertUnauthenticated(f.http.withBearer(tampered).post("/v1/authorize", BODY));
        assertUnauthenticated(f.http.withBearer(unsigned).post("/v1/authorize", BODY));
        assertUnauthenticated(f.http.withBearer(f.tokens.mintWithUnknownKey("app", "iam:authorize")).post("/v1/authorize", BODY));
        assertUnauthenticated(f.http.withBearer(f.tokens.mint("app", "iam:authorize", "http://evil.test", Tokens.AUDIENCE,
                Instant.now().plusSeconds(600))).post("/v1/authorize", BODY));
        assertUnauthenticated(f.http.withBearer(f.tokens.mint("app", "iam:authorize", Tokens.ISSUER, "some-other-api",
                Instant.now().plusSeconds(600))).post("/v1/authorize", BODY));
        Http.Response expired = f.http.withBearer(f.tokens.mint("app", "iam:authorize", Tokens.ISSUER, Tokens.AUDIENCE,
                Instant.now().minusSeconds(600))).post("/v1/authorize", BODY);
        assertUnauthenticated(expired);
        assertThat(expired.body().at("/error/message").asText()).contains("expired");
        // The static admin token is for the admin endpoints only.
        assertThat(f.http.withBearer(IamFixture.ADMIN_TOKEN).post("/v1/authorize", BODY).status()).isEqualTo(403);
    }

    @Test
    void authorize_withRandomBearerTokens_isAlways401NeverAServerError() {
        String valid = f.tokens.mint("app", "iam:authorize");
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(150)).forAll(strings().basicLatinAlphabet().ofLengthBetween(0, 300), integers().between(0, 3))
                .checkAssert((garbage, shape) -> {
                    examples.ran();
                    String token = switch (shape) {
                        case 0 -> garbage;
                        case 1 -> garbage + "." + garbage + "." + garbage;
                        case 2 -> valid.substring(0, valid.indexOf('.') + 1) + java.util.Base64.getUrlEncoder().withoutPadding()
                                .encodeToString(garbage.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + valid.substring(valid.lastIndexOf('.'));
                        default -> java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("{\"alg\":\"" + garbage + "\",\"kid\":\""
                                + garbage + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8)) + valid.substring(valid.indexOf('.'));
                    };
                    if (token.isBlank() || token.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
                        token = "x" + token.replaceAll("[^\\x21-\\x7e]", "y");
                    }

                    Http.Response r = f.http.withBearer(token).post("/v1/authorize", BODY);

                    assertThat(r.status()).as(token).isEqualTo(401);
                    assertThat(r.body().at("/error/code").asText()).isEqualTo("UNAUTHENTICATED");
                });
        examples.assertAtLeast(150);
    }

    @Test
    void authorize_withATokenLackingTheScope_is403() {
        Http.Response r = f.http.withBearer(f.tokens.mint("app", "documents:read")).post("/v1/authorize", BODY);
        Http.Response admin = f.http.withBearer(f.tokens.mint("app", "iam:authorize")).get("/v1/policies");

        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body().at("/error/code").asText()).isEqualTo("PERMISSION_DENIED");
        assertThat(r.header("WWW-Authenticate")).contains("insufficient_scope").contains("iam:authorize");
        assertThat(admin.status()).isEqualTo(403);
    }

    @Test
    void policies_withTheAdminScopeOrTheStaticAdminToken_isAnswered() {
        assertThat(f.http.withBearer(f.tokens.mint("ops", "iam:admin")).get("/v1/policies").status()).isEqualTo(200);
        assertThat(f.http.withBearer(IamFixture.ADMIN_TOKEN).get("/v1/policies").status()).isEqualTo(200);
        assertThat(f.http.anonymous().post("/v1/policies/reload", "", Map.of("Authorization", "Bearer " + IamFixture.ADMIN_TOKEN)).status())
                .isEqualTo(200);
    }

    @Test
    void authorize_withAValidToken_namesItsClientAsTheCaller() {
        Http.Response r = f.http.withBearer(f.tokens.mint("billing-api", "iam:authorize")).post("/v1/authorize", BODY);

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("caller").asText()).isEqualTo("billing-api");
    }
}
