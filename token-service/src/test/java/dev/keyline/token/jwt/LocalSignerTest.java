package dev.keyline.token.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.testing.MutableClock;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.jwks.Jwks;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local signer (PEM file and explicit HMAC) and the service's own access-token verifier. */
class LocalSignerTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));

    private JwtIssuer issuer(LocalSigner s) {
        SimpleMeterRegistry m = new SimpleMeterRegistry();
        return new JwtIssuer(() -> s, Optional.empty(), new FallbackHandler(m, "t"), "https://iss", clock, new SecureRandom(), m);
    }

    @Test
    void fromPemFile_everyAsymmetricAlgorithm_signsTokensNimbusVerifiesWithTheStableKid() throws Exception {
        for (KeyAlgorithm alg : List.of(KeyAlgorithm.ECDSA_P256_SHA256, KeyAlgorithm.ECDSA_P384_SHA384, KeyAlgorithm.ED25519,
                KeyAlgorithm.RSA_PKCS1_2048_SHA256, KeyAlgorithm.RSA_PSS_2048_SHA256)) {
            Path f = dir.resolve(alg + ".pem");
            LocalSigner.writeNewKeyFile(f, alg, new SecureRandom());
            LocalSigner a = LocalSigner.fromPemFile(f, alg, "local");
            LocalSigner b = LocalSigner.fromPemFile(f, alg, "local");
            assertThat(a.currentKey()).isEqualTo(b.currentKey());
            assertThat(a.currentKey().kid()).matches("local/jwt-[0-9a-f]{16}/1");
            assertThat(a.toString()).doesNotContain(Files.readString(f).substring(40, 80));
            IssuedJwt t = issuer(a).issue(new AccessTokenClaims("s", "c", List.of(), "", Duration.ofMinutes(1), Map.of()));
            String jwks = new Jwks(Optional.empty(), List.of(a.publicJwk().orElseThrow()), Duration.ofMinutes(5)).json();
            assertThat(NimbusVerifier.verifies(t.token(), jwks)).as(alg.name()).isTrue();
        }
    }

    @Test
    void fromPemFile_brokenFiles_failWithInvalidConfigNamingTheFile() throws Exception {
        Path f1 = dir.resolve("a.pem");
        Path f2 = dir.resolve("b.pem");
        LocalSigner.writeNewKeyFile(f1, KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        LocalSigner.writeNewKeyFile(f2, KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        String a = Files.readString(f1);
        String b = Files.readString(f2);
        Path mixed = dir.resolve("mixed.pem");
        Files.writeString(mixed, a.substring(0, a.indexOf("-----BEGIN PUBLIC KEY")) + b.substring(b.indexOf("-----BEGIN PUBLIC KEY")));
        Path onlyPrivate = dir.resolve("private.pem");
        Files.writeString(onlyPrivate, a.substring(0, a.indexOf("-----BEGIN PUBLIC KEY")));
        for (Path p : List.of(mixed, onlyPrivate, dir.resolve("missing.pem"))) {
            assertThatThrownBy(() -> LocalSigner.fromPemFile(p, KeyAlgorithm.ECDSA_P256_SHA256, "local"))
                    .isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.INVALID_CONFIG))
                    .hasMessageContaining(p.getFileName().toString()).hasMessageNotContaining("MII");
        }
        assertThatThrownBy(() -> LocalSigner.fromPemFile(f1, KeyAlgorithm.RSA_PKCS1_2048_SHA256, "local")).isInstanceOf(CryptoException.class);
    }

    @Test
    void hmac_explicitFallback_isNeverPublishedButOurVerifierAcceptsIt() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        LocalSigner hmac = LocalSigner.hmac(SecretBytes.copyOf(key), "keyline-fallback/jwt-hmac/1");
        assertThat(hmac.publicJwk()).isEmpty();
        IssuedJwt t = issuer(hmac).issue(new AccessTokenClaims("s", "c", List.of(), "", Duration.ofMinutes(1), Map.of()));
        SignedJWT jwt = SignedJWT.parse(t.token());
        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("HS256");
        assertThat(jwt.verify(new MACVerifier(key))).isTrue();
        AccessTokenVerifier verifier = new AccessTokenVerifier(Optional.empty(), List.of(hmac), "https://iss", clock);
        assertThat(verifier.verify(t.token())).isPresent();
        assertThatThrownBy(() -> LocalSigner.hmac(SecretBytes.copyOf(new byte[16]), "k/short/1")).isInstanceOf(CryptoException.class);
    }

    @Test
    void verify_expiredForeignIssuerOrForgedTokens_areRejected() throws Exception {
        Path f = dir.resolve("k.pem");
        LocalSigner.writeNewKeyFile(f, KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        LocalSigner s = LocalSigner.fromPemFile(f, KeyAlgorithm.ECDSA_P256_SHA256, "local");
        IssuedJwt t = issuer(s).issue(new AccessTokenClaims("s", "c", List.of(), "", Duration.ofMinutes(1), Map.of()));
        AccessTokenVerifier ours = new AccessTokenVerifier(Optional.empty(), List.of(s), "https://iss", clock);
        assertThat(ours.verify(t.token())).isPresent();
        assertThat(new AccessTokenVerifier(Optional.empty(), List.of(s), "https://other", clock).verify(t.token())).isEmpty();
        String[] parts = t.token().split("\\.");
        assertThat(ours.verify(parts[0] + "." + parts[1] + "." + parts[2].substring(0, 10) + "AAAA" + parts[2].substring(14))).isEmpty();
        assertThat(ours.verify("not.a.jwt")).isEmpty();
        assertThat(ours.verify("")).isEmpty();
        clock.advance(Duration.ofMinutes(1));
        assertThat(ours.verify(t.token())).isEmpty();
    }
}
