package dev.keyline.iam.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.iam.IamException;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.decision.Verdict;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The two levels: which answers, TTLs on the injected clock, versions kept apart, L2 outages. */
class DecisionCacheTest {
    private final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    private final IamMetrics metrics = new IamMetrics(new SimpleMeterRegistry());
    private final CacheKeys keys = CacheKeys.random(new SecureRandom());
    private final AuthorizationRequest request = AuthorizationRequest.of(RequestEntity.of("User", "u"), "read", RequestEntity.of("Document", "d"));
    private final Evaluation v1 = new Evaluation(new Verdict.Allowed(List.of("p")), List.of(), "0000000000000001");

    @Test
    void get_afterPut_hitsL1_thenL2OnceL1IsGone() {
        DecisionCache cache = DecisionCache.builder(metrics).clock(clock).l1(100, Duration.ofSeconds(30))
                .l2(new InMemoryCacheStorage(100, clock), Duration.ofMinutes(5)).build();
        CacheKey key = keys.keyFor(request, v1.policyVersion());
        cache.put(key, v1);

        Optional<DecisionCache.Hit> first = cache.get(key);
        cache.clearL1();
        Optional<DecisionCache.Hit> second = cache.get(key);
        Optional<DecisionCache.Hit> third = cache.get(key);

        assertThat(first).contains(new DecisionCache.Hit(v1, DecisionCache.Level.L1));
        assertThat(second).contains(new DecisionCache.Hit(v1, DecisionCache.Level.L2));
        assertThat(third).contains(new DecisionCache.Hit(v1, DecisionCache.Level.L1));
        assertThat(metrics.count("keyline.iam.cache.requests", "level", "l2")).isEqualTo(1);
    }

    @Test
    void get_afterEachTtl_missesAtThatLevel() {
        DecisionCache cache = DecisionCache.builder(metrics).clock(clock).l1(100, Duration.ofSeconds(30))
                .l2(new InMemoryCacheStorage(100, clock), Duration.ofMinutes(5)).build();
        CacheKey key = keys.keyFor(request, v1.policyVersion());
        cache.put(key, v1);

        clock.advance(Duration.ofSeconds(31));
        Optional<DecisionCache.Hit> afterL1Ttl = cache.get(key);
        clock.advance(Duration.ofMinutes(5));
        Optional<DecisionCache.Hit> afterL2Ttl = cache.get(key);

        assertThat(afterL1Ttl.map(DecisionCache.Hit::level)).contains(DecisionCache.Level.L2);
        assertThat(afterL2Ttl).isEmpty();
    }

    @Test
    void get_sameRequestUnderAnotherPolicyVersion_misses() {
        DecisionCache cache = DecisionCache.builder(metrics).clock(clock).l2(new InMemoryCacheStorage(100, clock), Duration.ofMinutes(5)).build();
        cache.put(keys.keyFor(request, v1.policyVersion()), v1);

        assertThat(cache.get(keys.keyFor(request, "0000000000000002"))).isEmpty();
    }

    @Test
    void getAndPut_l2Unavailable_missAndL1StillServes() {
        CacheStorage down = new CacheStorage() {
            @Override
            public Optional<byte[]> get(String key) {
                throw new IamException(IamException.Reason.UNAVAILABLE, "Redis GET failed: connection refused");
            }

            @Override
            public void put(String key, byte[] value, Duration ttl) {
                throw new IamException(IamException.Reason.UNAVAILABLE, "Redis SET failed: connection refused");
            }

            @Override
            public boolean ping() {
                return false;
            }

            @Override
            public String describe() {
                return "down";
            }

            @Override
            public void close() {
            }
        };
        DecisionCache cache = DecisionCache.builder(metrics).clock(clock).l1(100, Duration.ofSeconds(30)).l2(down, Duration.ofMinutes(5)).build();
        CacheKey key = keys.keyFor(request, v1.policyVersion());
        CacheKey other = keys.keyFor(AuthorizationRequest.of(RequestEntity.of("User", "x"), "read", RequestEntity.of("Document", "d")),
                v1.policyVersion());

        cache.put(key, v1);

        assertThat(cache.get(key).map(DecisionCache.Hit::level)).contains(DecisionCache.Level.L1);
        assertThat(cache.get(other)).isEmpty();
        assertThat(metrics.count("keyline.iam.cache.errors", "reason", "l2_unavailable")).isEqualTo(2);
    }

    @Test
    void put_evaluationOfAnotherVersionThanTheKey_isRefused() {
        DecisionCache cache = DecisionCache.builder(metrics).clock(clock).build();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cache.put(keys.keyFor(request, "ffffffffffffffff"), v1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
