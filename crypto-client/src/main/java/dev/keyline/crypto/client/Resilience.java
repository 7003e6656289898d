package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The client's rate limiter, retry policy and circuit breaker (Resilience4j), applied to one RPC:
 * retry(breaker(rpc)). The breaker sees every attempt; it records only transient failures
 * ({@link Errors#isTransient}) as failures and every other answer as a success, since an answer
 * of any kind shows the service is up.
 *
 * <p>Time: the breaker's OPEN → HALF_OPEN wait reads the injected {@link InstantSource} (through
 * Resilience4j's {@code CircuitBreakerConfig.clock}), so tests move a clock instead of sleeping.
 * The sliding window is count-based, so no other breaker decision depends on time. The rate
 * limiter and the retry backoff use real time (Resilience4j has no clock hook for them); tests use
 * a long limiter period and millisecond backoffs.
 */
final class Resilience {
    private final CircuitBreaker breaker;
    private final Retry retry;
    private final RateLimiter limiter;
    private final ClientMetrics metrics;

    Resilience(CryptoClientConfig config, InstantSource clock, ClientMetrics metrics) {
        this.metrics = metrics;
        CircuitBreakerConfig cb = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(config.slidingWindowSize())
                .minimumNumberOfCalls(config.minimumNumberOfCalls())
                .failureRateThreshold(config.failureRateThreshold())
                .waitDurationInOpenState(config.waitDurationInOpenState())
                .permittedNumberOfCallsInHalfOpenState(config.permittedCallsInHalfOpenState())
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                // Slow calls are the deadline's business, not the breaker's.
                .slowCallRateThreshold(100f)
                .slowCallDurationThreshold(Duration.ofDays(1))
                .recordException(Errors::isTransient)
                .writableStackTraceEnabled(false)
                .clock(clock.withZone(ZoneOffset.UTC))
                .build();
        this.breaker = CircuitBreaker.of("crypto-service-" + config.clientName(), cb);
        this.retry = config.maxAttempts() <= 1 ? null : Retry.of("crypto-service-" + config.clientName(), RetryConfig.custom()
                .maxAttempts(config.maxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(config.initialBackoff(), config.backoffMultiplier(),
                        config.backoffJitter(), config.maxBackoff()))
                .retryOnException(Errors::isTransient)
                .failAfterMaxAttempts(false)
                .build());
        this.limiter = config.rateLimitPerPeriod() == 0 ? null : RateLimiter.of("crypto-service-" + config.clientName(),
                RateLimiterConfig.custom()
                        .limitForPeriod(config.rateLimitPerPeriod())
                        .limitRefreshPeriod(config.rateLimitPeriod())
                        .timeoutDuration(Duration.ZERO)
                        .writableStackTraceEnabled(false)
                        .build());
        metrics.circuit(breaker);
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    /** Takes one permit for {@code call}, or fails at once with RATE_LIMITED; never waits. */
    void acquirePermit(Call call) {
        if (limiter != null && !limiter.acquirePermission()) {
            metrics.rateLimited(call.operation);
            throw new CryptoException(Reason.RATE_LIMITED, "client rate limit reached: at most " + limiter.getRateLimiterConfig().getLimitForPeriod()
                    + " calls per " + limiter.getRateLimiterConfig().getLimitRefreshPeriod(), call.correlationId(), null);
        }
    }

    /**
     * Runs one RPC with retries (when {@code retryable}) and the breaker, and maps its failure.
     * {@code call.attempts} ends as the number of attempts that reached the network.
     */
    <T> T execute(Call call, String rpcName, boolean retryable, Supplier<T> rpc) {
        call.attempts = 0;
        Supplier<T> guarded = () -> {
            if (!breaker.tryAcquirePermission()) {
                throw CallNotPermittedException.createCallNotPermittedException(breaker);
            }
            call.attempts++;
            long start = System.nanoTime();
            try {
                T result = rpc.get();
                breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                return result;
            } catch (RuntimeException e) {
                breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
                throw e;
            }
        };
        try {
            return retryable && retry != null ? retry.executeSupplier(guarded) : guarded.get();
        } catch (CallNotPermittedException e) {
            throw new CryptoException(Reason.CRYPTO_SERVICE_UNAVAILABLE, "circuit breaker is " + breaker.getState()
                    + ": not calling the crypto service for " + rpcName, call.correlationId(), null);
        } catch (StatusRuntimeException e) {
            throw Errors.fromStatus(e, rpcName, call.correlationId(), call.attempts);
        } finally {
            metrics.retries(call.operation, Math.max(0, call.attempts - 1));
        }
    }
}
