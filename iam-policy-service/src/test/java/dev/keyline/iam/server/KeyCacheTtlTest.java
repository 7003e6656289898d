package dev.keyline.iam.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import dev.keyline.iam.testing.PolicyDirs;
import dev.keyline.iam.testing.Tokens;
import dev.keyline.testing.MutableClock;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code KEYLINE_IAM_KEY_CACHE_TTL}: the IAM service's crypto client keeps key metadata that long,
 * so a rotation of the decision-signing key shows in {@code GET /v1/decisions/jwks} once the TTL
 * has passed on the service's clock, and not before.
 */
class KeyCacheTtlTest {
    @TempDir
    Path tmp;

    @Test
    void decisionJwks_afterARotation_showsTheNewVersionOnlyOnceTheKeyCacheTtlHasPassed() {
        Duration ttl = Duration.ofMinutes(3);
        MutableClock clock = new MutableClock(Instant.now());
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(tmp.resolve("crypto")); Tokens tokens = new Tokens()) {
            IamServerConfig config = IamFixture.defaults(tmp, PolicyDirs.demo(tmp), "unused:").l2Backend(IamServerConfig.L2Backend.MEMORY)
                    .cryptoEndpoint(crypto.endpoint()).cryptoToken(IamFixture.iamToken(crypto)).authJwksUrl(tokens.jwksUrl()).keyCacheTtl(ttl).build();
            try (IamServer iam = IamServer.builder(config).clock(clock).start()) {
                Http http = new Http(iam.baseUrl(), tokens.mint(IamFixture.CALLER, "iam:authorize"));
                assertThat(IamFixture.awaitSigningKey(http)).isEqualTo(1);

                crypto.server().keys().rotate(KeyId.parse(IamServerConfig.DEFAULT_SIGNING_KEY));
                assertThat(keys(http)).as("within the TTL the cached metadata (one version) is served").isEqualTo(1);
                clock.advance(ttl.minusSeconds(5));
                assertThat(keys(http)).isEqualTo(1);
                clock.advance(Duration.ofSeconds(10));
                assertThat(keys(http)).as("after the TTL the rotation shows").isEqualTo(2);
            }
        }
    }

    private static int keys(Http http) {
        Http.Response r = http.get("/v1/decisions/jwks");
        return r.status() == 200 ? r.body().path("keys").size() : -1;
    }
}
