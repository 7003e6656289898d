package dev.keyline.token.jwt;

import dev.keyline.token.TokenServerFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testing.Examples;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.jwks.Jwks;
import dev.keyline.token.jwks.SigningKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T4 (JWT signing round trip) and T5 (algorithm support completeness) against a real crypto
 * service: tokens signed through {@link CryptoSigner} verify against the published JWK Set with
 * Nimbus as the independent verifier, for every supported algorithm.
 */
class JwtSigningPropertyTest {
    private static final List<KeyAlgorithm> ALGORITHMS = List.of(KeyAlgorithm.ECDSA_P256_SHA256, KeyAlgorithm.ECDSA_P384_SHA384,
            KeyAlgorithm.ED25519, KeyAlgorithm.RSA_PKCS1_2048_SHA256, KeyAlgorithm.RSA_PSS_2048_SHA256);
    private static final String ISSUER = "https://tokens.test";

    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static CryptoClient client;
    static final Map<KeyAlgorithm, JwtIssuer> issuers = new EnumMap<>(KeyAlgorithm.class);
    static final Map<KeyAlgorithm, Jwks> jwks = new EnumMap<>(KeyAlgorithm.class);

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir);
        client = TokenServerFixture.client(TokenServerFixture.clientConfig(crypto, Duration.ofSeconds(30)).build());
        for (KeyAlgorithm alg : ALGORITHMS) {
            SigningKeys keys = new SigningKeys(client, KeyId.of("token", "jwt-" + alg.name().toLowerCase().replace('_', '-')),
                    Duration.ofMinutes(5), InstantSource.system());
            keys.ensureKey(alg);
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            CryptoSigner signer = new CryptoSigner(client, keys, Optional.empty(), meters);
            issuers.put(alg, new JwtIssuer(() -> signer, Optional.empty(), new FallbackHandler(meters, "test"), ISSUER,
                    InstantSource.system(), new SecureRandom(), meters));
            jwks.put(alg, new Jwks(Optional.of(keys), List.of(), Duration.ofMinutes(5)));
        }
    }

    @AfterAll
    static void stop() {
        client.close();
        crypto.close();
    }

    @Test
    void issue_anyClaims_verifiesAgainstJwksWithNimbus() {
        JwtIssuer issuer = issuers.get(KeyAlgorithm.ECDSA_P256_SHA256);
        String set = jwks.get(KeyAlgorithm.ECDSA_P256_SHA256).json();
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(
                strings().basicLatinAlphabet().ofLengthBetween(1, 40),
                lists().of(strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 8)).ofSizeBetween(0, 4),
                integers().between(1, 86_400),
                strings().betweenCodePoints(0x20, 0xD7FF).ofLengthBetween(0, 30))
                .checkAssert((subject, scopes, lifetime, extra) -> {
                    examples.ran();
                    String scope = String.join(" ", scopes);
                    IssuedJwt t = issuer.issue(new AccessTokenClaims(subject, "client-a", List.of("api://x"), scope,
                            Duration.ofSeconds(lifetime), Map.of("ext", extra)));
                    try {
                        assertThat(NimbusVerifier.verifies(t.token(), set)).isTrue();
                        SignedJWT jwt = SignedJWT.parse(t.token());
                        JWTClaimsSet c = jwt.getJWTClaimsSet();
                        assertThat(jwt.getHeader().getKeyID()).isEqualTo("token/jwt-ecdsa-p256-sha256/1").isEqualTo(t.kid());
                        assertThat(jwt.getHeader().getType()).isEqualTo(new JOSEObjectType("at+jwt"));
                        assertThat(c.getSubject()).isEqualTo(subject);
                        assertThat(c.getIssuer()).isEqualTo(ISSUER);
                        assertThat(c.getStringClaim("client_id")).isEqualTo("client-a");
                        assertThat(c.getClaim("scope")).isEqualTo(scope.isEmpty() ? null : scope);
                        assertThat(c.getStringClaim("ext")).isEqualTo(extra);
                        assertThat(c.getJWTID()).isEqualTo(t.jti());
                        assertThat(c.getExpirationTime().getTime() - c.getIssueTime().getTime()).isEqualTo(lifetime * 1000L);
                        // Any change to the signed payload breaks the signature.
                        String[] parts = t.token().split("\\.");
                        String forged = parts[0] + "." + flip(parts[1]) + "." + parts[2];
                        assertThat(NimbusVerifier.verifies(forged, set)).isFalse();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
        examples.assertAtLeast(100);
    }

    @Test
    void issue_everySupportedAlgorithm_headerNamesKeyAlgorithmAndNimbusVerifies() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(arbitrary().pick(ALGORITHMS), strings().basicLatinAlphabet().ofLengthBetween(1, 20))
                .checkAssert((alg, subject) -> {
                    examples.ran();
                    IssuedJwt t = issuers.get(alg).issue(new AccessTokenClaims(subject, "c", List.of(), "", Duration.ofMinutes(5), Map.of()));
                    String set = jwks.get(alg).json();
                    try {
                        SignedJWT jwt = SignedJWT.parse(t.token());
                        String expectedAlg = alg.jwsAlgorithm().orElseThrow();
                        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo(expectedAlg);
                        JWK jwk = NimbusVerifier.keyFor(t.token(), set).orElseThrow();
                        assertThat(jwk.getAlgorithm().getName()).isEqualTo(expectedAlg);
                        assertThat(jwk.getKeyUse().identifier()).isEqualTo("sig");
                        assertThat(NimbusVerifier.verifies(t.token(), set)).isTrue();
                        if (alg == KeyAlgorithm.ECDSA_P256_SHA256 || alg == KeyAlgorithm.ECDSA_P384_SHA384) {
                            // JOSE r||s, not DER: exactly twice the field size.
                            assertThat(jwt.getSignature().decode()).hasSize(alg == KeyAlgorithm.ECDSA_P256_SHA256 ? 64 : 96);
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
        examples.assertAtLeast(100);
    }

    @Test
    void verify_tokenOfAnotherAlgorithmsKey_isRejectedByJwks() throws Exception {
        IssuedJwt es256 = issuers.get(KeyAlgorithm.ECDSA_P256_SHA256).issue(new AccessTokenClaims("s", "c", List.of(), "", Duration.ofMinutes(1),
                Map.of()));
        assertThat(NimbusVerifier.verifies(es256.token(), jwks.get(KeyAlgorithm.RSA_PKCS1_2048_SHA256).json())).isFalse();
    }

    /*
     * Whether tokens share BatchSign RPCs depends on a Sign being in flight when the others
     * arrive; on a fast machine the first one may finish before the rest are even submitted, on a
     * busy one the reverse. So the service holds the first plain Sign until every other token has
     * reached it inside a BatchSign (at most 20 s, within the client's deadline): the outcome no
     * longer depends on the machine's speed.
     */
    @Test
    void issue_concurrentTokensWithSignBatching_shareBatchSignRpcsAndEachVerifies(@TempDir Path own) throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        KeyAlgorithm alg = KeyAlgorithm.ECDSA_P256_SHA256;
        int n = 24;
        HoldFirstSign hold = new HoldFirstSign(n - 1, Duration.ofSeconds(20));
        try (CryptoServiceFixture held = CryptoServiceFixture.start(own, List.of(hold));
                CryptoClient batching = CryptoClientFactory.builder(TokenServerFixture.clientConfig(held, Duration.ofSeconds(30)).timeout(Duration.ofSeconds(30))
                        .signBatching(n, Duration.ofMillis(100)).build()).meterRegistry(meters).build()) {
            SigningKeys keys = new SigningKeys(batching, KeyId.of("token", "jwt-batching"), Duration.ofMinutes(5), InstantSource.system());
            keys.ensureKey(alg);
            CryptoSigner signer = new CryptoSigner(batching, keys, Optional.empty(), meters);
            JwtIssuer issuer = new JwtIssuer(() -> signer, Optional.empty(), new FallbackHandler(meters, "test"), ISSUER,
                    InstantSource.system(), new SecureRandom(), meters);
            List<IssuedJwt> tokens = new java.util.ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                List<java.util.concurrent.Future<IssuedJwt>> futures = new java.util.ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String subject = "subject-" + i;
                    futures.add(pool.submit(() -> issuer.issue(new AccessTokenClaims(subject, "c", List.of(), "", Duration.ofMinutes(5),
                            Map.of()))));
                }
                for (var f : futures) {
                    tokens.add(f.get());
                }
            }
            String set = new Jwks(Optional.of(keys), List.of(), Duration.ofMinutes(5)).json();
            for (int i = 0; i < n; i++) {
                IssuedJwt t = tokens.get(i);
                assertThat(NimbusVerifier.verifies(t.token(), set)).isTrue();
                assertThat(SignedJWT.parse(t.token()).getJWTClaimsSet().getSubject()).isEqualTo("subject-" + i);
            }
            assertThat(hold.releasedByCount()).as("every other token reached the service in a BatchSign while the first was held").isTrue();
            // The first token goes alone as a plain Sign; the other n - 1 went in BatchSign RPCs, some of them together.
            var sizes = meters.find("keyline.client.sign.batch.size").summary();
            assertThat(sizes.totalAmount()).isEqualTo(n - 1);
            assertThat(sizes.max()).as("tokens shared BatchSign RPCs").isGreaterThan(1);
            assertThat(sizes.count()).isLessThan(n - 1);
        }
    }

    /** Holds the first plain Sign RPC until {@code items} signatures arrived in BatchSign RPCs, or {@code atMost}. */
    private static final class HoldFirstSign implements io.grpc.ServerInterceptor {
        private final java.util.concurrent.CountDownLatch batched;
        private final Duration atMost;
        private final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        private volatile boolean releasedByCount;

        HoldFirstSign(int items, Duration atMost) {
            this.batched = new java.util.concurrent.CountDownLatch(items);
            this.atMost = atMost;
        }

        boolean releasedByCount() {
            return releasedByCount;
        }

        @Override
        public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers,
                io.grpc.ServerCallHandler<Q, R> next) {
            String method = call.getMethodDescriptor().getBareMethodName();
            io.grpc.ServerCall.Listener<Q> listener = next.startCall(call, headers);
            boolean holdThis = "Sign".equals(method) && first.compareAndSet(true, false);
            return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                @Override
                public void onMessage(Q message) {
                    if (message instanceof dev.keyline.crypto.v1.BatchSignRequest b) {
                        for (int i = 0; i < b.getItemsCount(); i++) {
                            batched.countDown();
                        }
                    }
                    super.onMessage(message);
                }

                @Override
                public void onHalfClose() {
                    if (holdThis) {
                        try {
                            releasedByCount = batched.await(atMost.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    super.onHalfClose();
                }
            };
        }
    }

    private static String flip(String b64) {
        int i = b64.length() / 2;
        char c = b64.charAt(i);
        return b64.substring(0, i) + (c == 'A' ? 'B' : 'A') + b64.substring(i + 1);
    }
}
