package dev.keyline.iam.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.iam.IamException;
import dev.keyline.iam.testing.Tokens;
import dev.keyline.kit.config.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The JWK source against a real JWKS endpoint on loopback: caching, rotation, an unreachable issuer. */
class BearerAuthenticatorTest {

    private static BearerAuthenticator over(Tokens tokens) {
        return BearerAuthenticator.fromJwksUrl(URI.create(tokens.jwksUrl()), Tokens.ISSUER, Tokens.AUDIENCE, Duration.ofMinutes(5),
                InstantSource.system(), Optional.empty());
    }

    @Test
    void authenticate_manyTokens_fetchesTheJwksOnce() {
        try (Tokens tokens = new Tokens()) {
            BearerAuthenticator auth = over(tokens);
            for (int i = 0; i < 20; i++) {
                assertThat(auth.authenticate("Bearer " + tokens.mint("app-" + i, "iam:authorize"), BearerAuthenticator.SCOPE_AUTHORIZE).id())
                        .isEqualTo("app-" + i);
            }
            assertThat(tokens.fetches()).isEqualTo(1);
        }
    }

    @Test
    void authenticate_afterTheIssuerRotatesItsKey_acceptsTokensOfTheNewKeyWithoutARestart() {
        try (Tokens tokens = new Tokens()) {
            BearerAuthenticator auth = over(tokens);
            auth.authenticate("Bearer " + tokens.mint("app", "iam:authorize"), BearerAuthenticator.SCOPE_AUTHORIZE);

            tokens.rotate();
            AuthenticatedCaller c = auth.authenticate("Bearer " + tokens.mint("app", "iam:authorize"), BearerAuthenticator.SCOPE_AUTHORIZE);

            assertThat(c.id()).isEqualTo("app");
            assertThat(tokens.fetches()).as("refetched on the unknown kid").isEqualTo(2);
        }
    }

    @Test
    void authenticate_issuerUnreachableWithNothingCached_isUnavailableNotAuthenticated() {
        Tokens tokens = new Tokens();
        String token = tokens.mint("app", "iam:authorize");
        BearerAuthenticator auth = over(tokens);
        tokens.close();

        assertThatThrownBy(() -> auth.authenticate("Bearer " + token, BearerAuthenticator.SCOPE_AUTHORIZE))
                .isInstanceOfSatisfying(IamException.class, e -> assertThat(e.reason()).isEqualTo(IamException.Reason.UNAVAILABLE));
    }

    @Test
    void fromJwksUrl_notAUrl_failsWithAConfigExceptionNamingAuthJwksUrl() {
        assertThatThrownBy(() -> BearerAuthenticator.fromJwksUrl(URI.create("urn:keyline:jwks"), Tokens.ISSUER, Tokens.AUDIENCE,
                Duration.ofMinutes(5), InstantSource.system(), Optional.empty())).isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.subject()).isEqualTo("IAM caller authentication");
                    assertThat(e.problems()).singleElement().satisfies(p -> assertThat(p).startsWith("authJwksUrl: 'urn:keyline:jwks'"));
                });
    }

    /**
     * A session token the token service issued for an end user names the client (client_id) and
     * carries its scopes, but its subject is the user: it must not reach decisions signed in the
     * client's name. Only client_credentials tokens (sub = client:&lt;id&gt;) do.
     */
    @Test
    void authenticate_anEndUsersSessionTokenOfAClientWithTheScope_isRefused() {
        try (Tokens tokens = new Tokens()) {
            BearerAuthenticator auth = over(tokens);
            String session = tokens.mintFor("alice", "demo", "iam:authorize");
            String spoofed = tokens.mintFor("client:other", "demo", "iam:authorize");

            assertThat(auth.authenticate("Bearer " + tokens.mint("demo", "iam:authorize"), BearerAuthenticator.SCOPE_AUTHORIZE).id())
                    .isEqualTo("demo");
            for (String t : java.util.List.of(session, spoofed)) {
                assertThatThrownBy(() -> auth.authenticate("Bearer " + t, BearerAuthenticator.SCOPE_AUTHORIZE))
                        .isInstanceOfSatisfying(dev.keyline.iam.IamException.class,
                                e -> assertThat(e.reason()).isEqualTo(dev.keyline.iam.IamException.Reason.UNAUTHENTICATED))
                        .hasMessageContaining("not a client's own access token");
            }
        }
    }

    /**
     * A verified token is kept (a service reuses its token for minutes; one ECDSA verification per
     * request would cost more than the decision), but never past its exp: a cached token that has
     * expired is refused like any expired token, and the scope is checked on every call.
     */
    @Test
    void authenticate_aCachedToken_isRefusedOnceItExpiresAndScopesAreCheckedEachTime() {
        try (Tokens tokens = new Tokens()) {
            dev.keyline.testing.MutableClock clock = new dev.keyline.testing.MutableClock(java.time.Instant.now());
            BearerAuthenticator auth = BearerAuthenticator.fromJwksUrl(URI.create(tokens.jwksUrl()), Tokens.ISSUER, Tokens.AUDIENCE,
                    Duration.ofMinutes(5), clock, Optional.empty());
            String token = tokens.mint("app", "iam:authorize", Tokens.ISSUER, Tokens.AUDIENCE, clock.instant().plus(Duration.ofMinutes(10)));

            assertThat(auth.authenticate("Bearer " + token, BearerAuthenticator.SCOPE_AUTHORIZE).id()).isEqualTo("app");
            assertThat(auth.authenticate("Bearer " + token, BearerAuthenticator.SCOPE_AUTHORIZE).id()).as("from the cache").isEqualTo("app");
            assertThatThrownBy(() -> auth.authenticate("Bearer " + token, BearerAuthenticator.SCOPE_ADMIN))
                    .isInstanceOfSatisfying(dev.keyline.iam.IamException.class,
                            e -> assertThat(e.reason()).isEqualTo(dev.keyline.iam.IamException.Reason.PERMISSION_DENIED));
            clock.advance(Duration.ofMinutes(12));
            assertThatThrownBy(() -> auth.authenticate("Bearer " + token, BearerAuthenticator.SCOPE_AUTHORIZE))
                    .isInstanceOfSatisfying(dev.keyline.iam.IamException.class,
                            e -> assertThat(e.reason()).isEqualTo(dev.keyline.iam.IamException.Reason.UNAUTHENTICATED));
        }
    }

    @Test
    void authenticate_aTokenOfTypeJwtInsteadOfAtJwt_isRefused() {
        try (Tokens tokens = new Tokens()) {
            String idToken = tokens.mintTyped("app", "iam:authorize", com.nimbusds.jose.JOSEObjectType.JWT);

            assertThatThrownBy(() -> over(tokens).authenticate("Bearer " + idToken, BearerAuthenticator.SCOPE_AUTHORIZE))
                    .isInstanceOfSatisfying(IamException.class, e -> assertThat(e.reason()).isEqualTo(IamException.Reason.UNAUTHENTICATED));
        }
    }
}
