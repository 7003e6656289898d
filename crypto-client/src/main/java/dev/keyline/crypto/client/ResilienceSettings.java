package dev.keyline.crypto.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The rate limiter, circuit breaker and retry settings a service exposes for its crypto client,
 * read from {@code <prefix>RATE_LIMIT}, {@code <prefix>CIRCUIT_*} and {@code <prefix>RETRY_*}
 * variables (the token service uses {@code KEYLINE_TOKEN_CRYPTO_}, the IAM service
 * {@code KEYLINE_IAM_CRYPTO_}). Values are range-checked by {@link CryptoClientConfig.Builder};
 * {@link #variable} renames its problems to the variables that set them.
 *
 * <p>{@link #SERVICE_DEFAULTS} differ from the library's in one way: the rate limiter is on. A
 * service that loops on a bug, or is flooded through its public port, then cannot turn that into
 * an unbounded stream of RPCs at the crypto service, which every other service shares. 50,000 calls
 * per second is far above what either service has been measured to need (about 8,000 signatures
 * per second for the token service on this hardware), so the limit never bites in normal operation.
 */
public record ResilienceSettings(int rateLimit, Duration rateLimitPeriod, float circuitFailureRate, int circuitWindow, int circuitMinCalls,
        Duration circuitOpenWait, int circuitHalfOpenCalls, int retryMaxAttempts, Duration retryInitialBackoff, Duration retryMaxBackoff) {

    /** The defaults of the token and IAM services. */
    public static final ResilienceSettings SERVICE_DEFAULTS = new ResilienceSettings(50_000, Duration.ofSeconds(1), 50f, 20, 10,
            Duration.ofSeconds(30), 3, 3, Duration.ofMillis(50), Duration.ofSeconds(1));

    /** Client field → variable suffix, for {@link #variable}. */
    private static final Map<String, String> SUFFIX = Map.ofEntries(
            Map.entry("rateLimitPerPeriod", "RATE_LIMIT"),
            Map.entry("rateLimitPeriod", "RATE_LIMIT_PERIOD"),
            Map.entry("failureRateThreshold", "CIRCUIT_FAILURE_RATE"),
            Map.entry("slidingWindowSize", "CIRCUIT_WINDOW"),
            Map.entry("minimumNumberOfCalls", "CIRCUIT_MIN_CALLS"),
            Map.entry("waitDurationInOpenState", "CIRCUIT_OPEN_WAIT"),
            Map.entry("permittedCallsInHalfOpenState", "CIRCUIT_HALF_OPEN_CALLS"),
            Map.entry("maxAttempts", "RETRY_MAX_ATTEMPTS"),
            Map.entry("initialBackoff", "RETRY_INITIAL_BACKOFF"),
            Map.entry("maxBackoff", "RETRY_MAX_BACKOFF"));

    public ResilienceSettings {
        Objects.requireNonNull(rateLimitPeriod, "rateLimitPeriod");
        Objects.requireNonNull(circuitOpenWait, "circuitOpenWait");
        Objects.requireNonNull(retryInitialBackoff, "retryInitialBackoff");
        Objects.requireNonNull(retryMaxBackoff, "retryMaxBackoff");
    }

    /**
     * The settings the {@code prefix*} variables describe, each unset one at its
     * {@link #SERVICE_DEFAULTS} value. Parsing is the caller's (the services pass their settings
     * parser's typed getters, which report a value that does not parse and return empty), so these
     * variables read exactly like every other setting.
     *
     * @param integers an integer variable's value, empty when unset or not an integer
     * @param decimals a decimal variable's value, empty when unset or not a number
     * @param durations a duration variable's value, empty when unset or not a duration
     */
    public static ResilienceSettings read(String prefix, Function<String, Optional<Integer>> integers,
            Function<String, Optional<Double>> decimals, Function<String, Optional<Duration>> durations) {
        ResilienceSettings d = SERVICE_DEFAULTS;
        return new ResilienceSettings(
                integers.apply(prefix + "RATE_LIMIT").orElse(d.rateLimit),
                durations.apply(prefix + "RATE_LIMIT_PERIOD").orElse(d.rateLimitPeriod),
                decimals.apply(prefix + "CIRCUIT_FAILURE_RATE").map(Double::floatValue).orElse(d.circuitFailureRate),
                integers.apply(prefix + "CIRCUIT_WINDOW").orElse(d.circuitWindow),
                integers.apply(prefix + "CIRCUIT_MIN_CALLS").orElse(d.circuitMinCalls),
                durations.apply(prefix + "CIRCUIT_OPEN_WAIT").orElse(d.circuitOpenWait),
                integers.apply(prefix + "CIRCUIT_HALF_OPEN_CALLS").orElse(d.circuitHalfOpenCalls),
                integers.apply(prefix + "RETRY_MAX_ATTEMPTS").orElse(d.retryMaxAttempts),
                durations.apply(prefix + "RETRY_INITIAL_BACKOFF").orElse(d.retryInitialBackoff),
                durations.apply(prefix + "RETRY_MAX_BACKOFF").orElse(d.retryMaxBackoff));
    }

    /** Sets these values on {@code b} (backoff multiplier 2 and jitter 0.5, the library's). */
    public CryptoClientConfig.Builder applyTo(CryptoClientConfig.Builder b) {
        return b.rateLimit(rateLimit, rateLimitPeriod)
                .circuitBreaker(circuitFailureRate, circuitWindow, circuitMinCalls, circuitOpenWait, circuitHalfOpenCalls)
                .retry(retryMaxAttempts, retryInitialBackoff, retryMaxBackoff, 2.0, 0.5);
    }

    /** Every variable these settings read under {@code prefix}, in a stable order. */
    public static List<String> variables(String prefix) {
        return SUFFIX.values().stream().sorted().map(v -> prefix + v).toList();
    }

    /**
     * {@code problem} ({@code "field: what is wrong"} from {@link CryptoClientConfig.Builder#problems()})
     * with the field replaced by the {@code prefix*} variable that sets it, or null when no
     * variable of these settings sets that field.
     */
    public static String variable(String prefix, String problem) {
        int colon = problem.indexOf(':');
        String suffix = colon < 0 ? null : SUFFIX.get(problem.substring(0, colon));
        return suffix == null ? null : prefix + suffix + problem.substring(colon);
    }
}
