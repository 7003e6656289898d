package dev.keyline.token.families;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.mac.HmacSha256;
import dev.keyline.testing.Examples;
import dev.keyline.testing.MutableClock;
import dev.keyline.token.storage.InMemoryTokenStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * "A reused refresh token always revokes its family", for any history of refreshes and replays,
 * on the in-memory storage; plus absolute expiry with a mutable clock.
 */
class TokenFamilyPropertyTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final InMemoryTokenStore storage = new InMemoryTokenStore(clock);
    private final TokenFamilies families = new TokenFamilies(storage, HmacSha256.of(SecretBytes.copyOf(new byte[32])), clock,
            new SecureRandom(), Duration.ZERO, new SimpleMeterRegistry());

    @Test
    void refresh_anyReplayOfAnOlderToken_revokesFamilyAndNothingRefreshesAfterwards() {
        // Each step: -1 = refresh with the newest token; k >= 0 = replay the k-th token ever issued (mod count).
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(lists().of(integers().between(-1, 6)).ofSizeBetween(1, 12)).checkAssert(steps -> {
            examples.ran();
            TokenFamilies.Issued first = families.start("s", "app", "", List.of(), Map.of(), Duration.ofDays(1));
            List<String> tokens = new ArrayList<>(List.of(first.refreshToken()));
            boolean revoked = false;
            for (int step : steps) {
                String presented = step < 0 ? tokens.getLast() : tokens.get(step % tokens.size());
                boolean newest = presented.equals(tokens.getLast());
                try {
                    TokenFamilies.Issued next = families.refresh(presented, "app");
                    assertThat(revoked).as("nothing refreshes once revoked").isFalse();
                    assertThat(newest).as("only the newest token refreshes").isTrue();
                    tokens.add(next.refreshToken());
                } catch (FamilyException e) {
                    assertThat(revoked || !newest).as("the newest token of a live family always refreshes").isTrue();
                    revoked = true;
                }
            }
            assertThat(families.family(first.family().familyId()).orElseThrow().revoked()).isEqualTo(revoked);
        });
        examples.assertAtLeast(200);
    }

    @Test
    void refresh_afterAbsoluteExpiry_failsEvenIfRecentlyRotated() {
        TokenFamilies.Issued first = families.start("s", "app", "", List.of(), Map.of(), Duration.ofHours(1));
        clock.advance(Duration.ofMinutes(59));
        TokenFamilies.Issued second = families.refresh(first.refreshToken(), "app");
        clock.advance(Duration.ofMinutes(1));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> families.refresh(second.refreshToken(), "app"))
                .isInstanceOf(FamilyException.class);
        assertThat(storage.purgeExpired()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void refresh_whenSigningTheAccessTokenFails_leavesThePresentedTokenValid() {
        TokenFamilies.Issued first = families.start("s", "app", "", List.of(), Map.of(), Duration.ofHours(1));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> families.refresh(first.refreshToken(), "app", f -> {
            throw new dev.keyline.crypto.core.CryptoException(dev.keyline.crypto.core.CryptoException.Reason.CRYPTO_SERVICE_UNAVAILABLE, "down");
        })).isInstanceOf(dev.keyline.crypto.core.CryptoException.class);
        TokenFamilies.Refreshed<String> r = families.refresh(first.refreshToken(), "app", f -> "signed for generation " + f.generation());
        assertThat(r.result()).isEqualTo("signed for generation 2");
        assertThat(r.issued().family().revoked()).isFalse();
    }
}
