package dev.keyline.token.server;

import static dev.keyline.token.TokenServerFixture.clientCredentials;
import static dev.keyline.token.TokenServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import com.nimbusds.jwt.SignedJWT;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.Http;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.TokenServerFixture;
import dev.keyline.token.jwt.LocalSigner;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T11, feature flag behaviour: the signing path is whatever the flag says — the crypto service or
 * the local PEM key — for any sequence of flag values, flipped without code change or restart, and
 * either way the token verifies against the published JWKS.
 */
class FeatureFlagPropertyTest {
    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static TokenServer server;
    static Http http;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
        Path local = dir.resolve("local.pem");
        LocalSigner.writeNewKeyFile(local, KeyAlgorithm.ECDSA_P384_SHA384, new SecureRandom());
        server = TokenServerFixture.start(crypto, dir, b -> b.localKeyFile(local).localKeyAlgorithm(KeyAlgorithm.ECDSA_P384_SHA384));
        http = new Http(server.baseUrl());
    }

    @AfterAll
    static void stop() {
        server.close();
        crypto.close();
    }

    @Test
    void issue_anyFlagValue_signsOnTheFlaggedPathAndVerifiesAgainstJwks() {
        String jwks = http.get("/.well-known/jwks.json").body();
        qt().withExamples(100).forAll(booleans().all(), integers().between(0, 2)).checkAssert((viaCrypto, scopeIndex) -> {
            server.setCryptoSigning(viaCrypto);
            HttpResponse<String> r = clientCredentials(http, "svc", Map.of("scope", new String[] {"read", "write", "admin"}[scopeIndex]));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            try {
                String token = json(r).path("access_token").asText();
                SignedJWT jwt = SignedJWT.parse(token);
                if (viaCrypto) {
                    assertThat(jwt.getHeader().getKeyID()).isEqualTo("token/jwt-signing/1");
                    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
                } else {
                    assertThat(jwt.getHeader().getKeyID()).startsWith("local/jwt-");
                    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES384");
                }
                assertThat(NimbusVerifier.verifies(token, jwks)).isTrue();
                assertThat(json(http.get("/health")).path("checks").path("signer").path("path").asText()).isEqualTo(viaCrypto ? "crypto" : "local");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
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
        }
    }
}
