package dev.keyline.token.jwks;

import dev.keyline.token.TokenServerFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import com.nimbusds.jose.jwk.JWKSet;
import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.FallbackHandler;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import dev.keyline.testing.Examples;
import dev.keyline.testing.MutableClock;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.NimbusVerifier;
import dev.keyline.token.jwt.AccessTokenClaims;
import dev.keyline.token.jwt.CryptoSigner;
import dev.keyline.token.jwt.IssuedJwt;
import dev.keyline.token.jwt.JwtIssuer;
import dev.keyline.token.jwt.LocalSigner;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T7, key rotation graceful transition, against a real crypto service with a mutable clock: a
 * verifier that fetched the JWKS at any moment and caches it for max-age never meets a token whose
 * kid that JWKS lacked; every token verifies against the current JWKS (old versions stay
 * published); during a new version's publication delay the previous version signs (named
 * explicitly; never the bridge key while it may sign); and once the delay has passed, the newest
 * version signs.
 */
class KeyRotationPropertyTest {
    private static final Duration MAX_AGE = Duration.ofMinutes(5);
    private static final AtomicInteger RINGS = new AtomicInteger();

    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static CryptoClient client;
    static LocalSigner bridge;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir);
        // Metadata is re-read on every call, so a rotation is visible as soon as the token service asks.
        client = TokenServerFixture.client(TokenServerFixture.clientConfig(crypto, Duration.ofSeconds(30)).keyMetadataTtl(Duration.ofMillis(1)).build());
        bridge = LocalSigner.of(SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom(), CryptoProviders.defaults()),
                "keyline-fallback");
    }

    @AfterAll
    static void stop() {
        client.close();
        crypto.close();
    }

    /** One token service's view of one key ring, on its own clock. */
    private static final class Rig {
        final MutableClock clock = new MutableClock(Instant.now());
        final KeyId ring = KeyId.of("token", "rot-" + RINGS.incrementAndGet());
        final SigningKeys keys = new SigningKeys(client, ring, MAX_AGE, clock);
        final Jwks jwks = new Jwks(Optional.of(keys), List.of(bridge.publicJwk().orElseThrow()), MAX_AGE);
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        final JwtIssuer issuer;

        Rig() {
            keys.ensureKey(KeyAlgorithm.ECDSA_P256_SHA256);
            CryptoSigner signer = new CryptoSigner(client, keys, Optional.of(bridge), meters);
            issuer = new JwtIssuer(() -> signer, Optional.of(bridge), new FallbackHandler(meters, "test"), "https://t", clock,
                    new SecureRandom(), meters);
        }

        IssuedJwt issue() {
            return issuer.issue(new AccessTokenClaims("s", "c", List.of(), "", Duration.ofDays(1), Map.of()));
        }

        int rotate() {
            return crypto.server().keys().rotate(ring).primaryVersion();
        }

        double bridged() {
            return meters.counter("keyline_token_rotation_bridge_signatures_total").count();
        }
    }

    private record Snapshot(Instant at, Set<String> kids, String json) { }

    private static Snapshot snapshot(Rig rig) {
        String json = rig.jwks.json();
        try {
            Set<String> kids = new HashSet<>();
            JWKSet.parse(json).getKeys().forEach(k -> kids.add(k.getKeyID()));
            return new Snapshot(rig.clock.instant(), kids, json);
        } catch (java.text.ParseException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void rotation_anySequence_cachedJwksNeverMeetsUnknownKidAndOldTokensVerify() {
        // Each step: v % 4 = 0 rotate (the service only), 1 advance the clock by up to 2 max-ages, 2 poll, 3 issue.
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(lists().of(integers().between(0, 399)).ofSizeBetween(4, 14)).checkAssert(steps -> {
            examples.ran();
            Rig rig = new Rig();
            List<Snapshot> snapshots = new ArrayList<>();
            List<IssuedJwt> tokens = new ArrayList<>();
            snapshots.add(snapshot(rig));
            for (int v : steps) {
                switch (v % 4) {
                    case 0 -> rig.rotate();
                    case 1 -> rig.clock.advance(MAX_AGE.multipliedBy(v / 4).dividedBy(50));
                    case 2 -> rig.keys.refresh();
                    default -> tokens.add(rig.issue());
                }
                snapshots.add(snapshot(rig));
            }
            tokens.add(rig.issue());
            int lastVersion = 0;
            for (IssuedJwt t : tokens) {
                // No version is ever disabled here, so a service version always signs — the previous one during a gate.
                assertThat(t.signer()).as("token %s", t.kid()).isEqualTo("crypto");
                KeyId signedBy = KeyId.parse(t.kid());
                assertThat(signedBy.ringName()).isEqualTo(rig.ring.ringName());
                assertThat(signedBy.version()).as("signing never goes back to an older version").isGreaterThanOrEqualTo(lastVersion);
                lastVersion = signedBy.version();
                for (Snapshot s : snapshots) {
                    boolean cached = !t.issuedAt().isBefore(s.at) && t.issuedAt().isBefore(s.at.plus(MAX_AGE));
                    if (cached) {
                        assertThat(s.kids).as("JWKS fetched at %s, token at %s", s.at, t.issuedAt()).contains(t.kid());
                    }
                }
            }
            String current = rig.jwks.json();
            for (IssuedJwt t : tokens) {
                try {
                    assertThat(NimbusVerifier.verifies(t.token(), current)).as("token %s still verifies", t.kid()).isTrue();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            assertThat(rig.bridged()).as("the bridge key never signed").isZero();
            // Liveness: once the delay has passed after a poll, the newest version signs.
            rig.keys.refresh();
            rig.clock.advance(MAX_AGE);
            int primary = client.getKeyMetadata(rig.ring).primaryVersion();
            assertThat(rig.issue().kid()).isEqualTo(rig.ring.withVersion(primary).toString());
        });
        examples.assertAtLeast(100);
    }

    @Test
    void rotation_newVersion_publishedAtOnceSignsAfterDelayWhileOldTokensVerify() throws Exception {
        Rig rig = new Rig();
        IssuedJwt v1 = rig.issue();
        assertThat(v1.kid()).isEqualTo(rig.ring.withVersion(1).toString());
        rig.rotate();
        rig.keys.refresh();
        String jwks = rig.jwks.json();
        assertThat(jwks).contains(rig.ring.withVersion(2).toString()).contains(rig.ring.withVersion(1).toString());
        IssuedJwt during = rig.issue();
        assertThat(during.kid()).as("the previous version signs during the gate").isEqualTo(rig.ring.withVersion(1).toString());
        assertThat(during.signer()).isEqualTo("crypto");
        rig.clock.advance(MAX_AGE.minusSeconds(1));
        IssuedJwt lateInGate = rig.issue();
        assertThat(lateInGate.kid()).isEqualTo(rig.ring.withVersion(1).toString());
        rig.clock.advance(Duration.ofSeconds(1));
        IssuedJwt v2 = rig.issue();
        assertThat(v2.kid()).isEqualTo(rig.ring.withVersion(2).toString());
        assertThat(rig.bridged()).isZero();
        for (IssuedJwt t : List.of(v1, during, lateInGate, v2)) {
            assertThat(NimbusVerifier.verifies(t.token(), rig.jwks.json())).isTrue();
        }
    }

    @Test
    void rotation_previousVersionDisabledDuringGate_bridgeKeySignsUntilTheNewVersionMay() throws Exception {
        Rig rig = new Rig();
        rig.rotate();
        rig.keys.refresh();
        assertThat(rig.issue().kid()).isEqualTo(rig.ring.withVersion(1).toString());
        // An operator retires version 1 between two polls: the service refuses it, the signer re-reads the ring.
        crypto.server().keys().setState(rig.ring.withVersion(1), KeyState.DISABLED);
        IssuedJwt bridged = rig.issue();
        assertThat(bridged.kid()).isEqualTo(bridge.currentKey().kid());
        assertThat(bridged.signer()).isEqualTo("bridge");
        assertThat(rig.bridged()).isEqualTo(1.0);
        assertThat(rig.jwks.json()).doesNotContain(rig.ring.withVersion(1).toString());
        rig.clock.advance(MAX_AGE);
        IssuedJwt v2 = rig.issue();
        assertThat(v2.kid()).isEqualTo(rig.ring.withVersion(2).toString());
        for (IssuedJwt t : List.of(bridged, v2)) {
            assertThat(NimbusVerifier.verifies(t.token(), rig.jwks.json())).isTrue();
        }
    }

    @Test
    void refreshFor_unknownKidOfNewerVersion_readsTheKeyAgain() {
        Rig rig = new Rig();
        rig.rotate();
        assertThat(rig.keys.find(rig.ring.withVersion(2).toString())).isEmpty();
        assertThat(rig.keys.refreshFor(rig.ring.withVersion(2).toString())).isTrue();
        assertThat(rig.keys.find(rig.ring.withVersion(2).toString())).isPresent();
        assertThat(rig.keys.refreshFor("other/ring/9")).isFalse();
        assertThat(rig.keys.refreshFor("not a kid")).isFalse();
    }
}
