package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.keys.KeyOperations;
import dev.keyline.testing.MutableClock;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * T1 — circuit breaker state transitions. For any breaker settings and any sequence of call
 * outcomes and clock moves, the client's breaker is in exactly the state a reference model of
 * CLOSED → OPEN → HALF_OPEN → CLOSED predicts, and while it is OPEN no call reaches the service.
 * Faults come from the server interceptor; calls are Decrypt (one RPC each, no metadata).
 */
class CircuitBreakerPropertyTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final byte[] AAD = "aad".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PLAINTEXT = "hello".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static ClientFixture fx;
    static EncryptResult sealed;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        KeyId key = fx.newKey("cb", KeyAlgorithm.AES_256_GCM);
        KeyOperations.Encrypted e = fx.server.operations().encrypt(key, PLAINTEXT, AAD);
        sealed = EncryptResult.of(e.keyId(), e.ciphertext());
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    enum Event { OK, UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CALLER_ERROR, WAIT_HALF, WAIT_EXACT, WAIT_PAST }

    enum State { CLOSED, OPEN, HALF_OPEN }

    /** Resilience4j's count-based breaker as documented, written out independently. */
    static final class Model {
        final int window;
        final int minimum;
        final float threshold;
        final int halfOpenCalls;
        State state = State.CLOSED;
        final Deque<Boolean> outcomes = new ArrayDeque<>();
        Instant openedAt;
        int halfCalls;
        int halfFailures;

        Model(int window, int minimum, float threshold, int halfOpenCalls) {
            this.window = window;
            this.minimum = minimum;
            this.threshold = threshold;
            this.halfOpenCalls = halfOpenCalls;
        }

        boolean permits(Instant now) {
            if (state == State.OPEN && now.isAfter(openedAt.plus(WAIT))) {
                state = State.HALF_OPEN;
                halfCalls = 0;
                halfFailures = 0;
            }
            return switch (state) {
                case CLOSED -> true;
                case OPEN -> false;
                case HALF_OPEN -> halfCalls < halfOpenCalls;
            };
        }

        void record(boolean failure, Instant now) {
            if (state == State.CLOSED) {
                outcomes.addLast(failure);
                if (outcomes.size() > window) {
                    outcomes.removeFirst();
                }
                if (outcomes.size() >= minimum && rate(outcomes.stream().filter(b -> b).count(), outcomes.size()) >= threshold) {
                    open(now);
                }
            } else if (state == State.HALF_OPEN) {
                halfCalls++;
                halfFailures += failure ? 1 : 0;
                // Resilience4j decides after min(minimumNumberOfCalls, permittedCallsInHalfOpenState) trial calls.
                if (halfCalls >= Math.min(minimum, halfOpenCalls)) {
                    if (rate(halfFailures, halfCalls) >= threshold) {
                        open(now);
                    } else {
                        state = State.CLOSED;
                        outcomes.clear();
                    }
                }
            }
        }

        private void open(Instant now) {
            state = State.OPEN;
            openedAt = now;
            outcomes.clear();
        }

        private static float rate(long failures, long total) {
            return failures * 100.0f / total;
        }
    }

    record Settings(int window, int minimum, float threshold, int halfOpen) { }

    static Gen<Settings> settings() {
        return integers().between(1, 6).flatMap(w -> integers().between(1, w).flatMap(m -> Generate.pick(List.of(25f, 50f, 75f, 100f))
                .zip(integers().between(1, 3), (f, h) -> new Settings(w, m, f, h))));
    }

    static Gen<List<Event>> events() {
        return lists().of(Generate.enumValues(Event.class)).ofSizeBetween(1, 30);
    }

    @Test
    void circuitBreaker_anyOutcomeSequence_followsTheStateMachineAndBlocksCallsWhileOpen() {
        Examples examples = new Examples();
        java.util.Set<String> transitions = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Examples.qt().forAll(settings(), events()).checkAssert((s, events) -> {
            examples.ran();
            fx.faults.reset();
            MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            CryptoClientConfig config = fx.config().retry(1, Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0)
                    .circuitBreaker(s.threshold(), s.window(), s.minimum(), WAIT, s.halfOpen()).build();
            Model model = new Model(s.window(), s.minimum(), s.threshold(), s.halfOpen());
            try (CryptoClient client = fx.client(config, clock, meters)) {
                for (Event e : events) {
                    State before = model.state;
                    switch (e) {
                        case WAIT_HALF -> clock.advance(WAIT.dividedBy(2));
                        case WAIT_EXACT -> clock.advance(WAIT);
                        case WAIT_PAST -> clock.advance(WAIT.plusMillis(1));
                        default -> call(client, e, model, clock.instant());
                    }
                    State after = state(meters);
                    assertThat(after).as("breaker state after %s in %s, settings %s", e, events, s).isEqualTo(model.state);
                    if (after != before) {
                        transitions.add(before + "->" + after);
                    }
                }
            }
        });
        examples.assertEnough();
        assertThat(transitions).as("the examples exercised every transition")
                .contains("CLOSED->OPEN", "OPEN->HALF_OPEN", "HALF_OPEN->CLOSED", "HALF_OPEN->OPEN");
    }

    private static void call(CryptoClient client, Event e, Model model, Instant now) {
        boolean permitted = model.permits(now);
        int before = fx.faults.count("Decrypt");
        switch (e) {
            case UNAVAILABLE -> fx.faults.once(FaultInjector.status(Status.UNAVAILABLE, "Decrypt"));
            case DEADLINE_EXCEEDED -> fx.faults.once(FaultInjector.status(Status.DEADLINE_EXCEEDED, "Decrypt"));
            case RESOURCE_EXHAUSTED -> fx.faults.once(FaultInjector.status(Status.RESOURCE_EXHAUSTED, "Decrypt"));
            default -> { }
        }
        byte[] aad = e == Event.CALLER_ERROR ? "wrong".getBytes(StandardCharsets.UTF_8) : AAD;
        CryptoException failure = catchThrowableOfType(CryptoException.class, () -> client.decrypt(sealed, aad));
        fx.faults.clearFaults();
        if (!permitted) {
            assertThat(fx.faults.count("Decrypt")).as("no RPC while open").isEqualTo(before);
            assertThat(failure).isNotNull();
            assertThat(failure.reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
            return;
        }
        assertThat(fx.faults.count("Decrypt")).as("one RPC when permitted").isEqualTo(before + 1);
        switch (e) {
            case OK -> assertThat(failure).isNull();
            case CALLER_ERROR -> assertThat(failure.reason()).isEqualTo(Reason.DECRYPTION_FAILED);
            default -> assertThat(failure.reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
        }
        model.record(e != Event.OK && e != Event.CALLER_ERROR, now);
    }

    static State state(SimpleMeterRegistry meters) {
        double v = meters.get("keyline.client.circuit.state").gauge().value();
        return switch ((int) v) {
            case 0 -> State.CLOSED;
            case 1 -> State.OPEN;
            case 2 -> State.HALF_OPEN;
            default -> throw new AssertionError("unexpected breaker state " + v);
        };
    }

    @Test
    void circuitBreaker_openWithFallbackKey_encryptsLocallyWithoutCallingTheService() {
        MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
        KeyId key = fx.newKey("cb", KeyAlgorithm.AES_256_GCM);
        CryptoClientConfig config = fx.config().retry(1, Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0)
                .circuitBreaker(50f, 2, 2, WAIT, 1)
                .fallbackEnabled(true).fallbackMode(CryptoClientConfig.FallbackMode.DEVELOPMENT).build();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (CryptoClient client = fx.client(config, clock, meters)) {
            fx.faults.reset();
            fx.faults.always(FaultInjector.status(Status.UNAVAILABLE));
            client.encrypt(key, PLAINTEXT, AAD);
            client.encrypt(key, PLAINTEXT, AAD);
            assertThat(state(meters)).isEqualTo(State.OPEN);
            int rpcs = fx.faults.total();
            EncryptResult r = client.encrypt(key, PLAINTEXT, AAD);
            assertThat(fx.faults.total()).as("open circuit: no RPC").isEqualTo(rpcs);
            assertThat(r.fallback()).isTrue();
            fx.faults.clearFaults();
            clock.advance(WAIT.plusSeconds(1));
            EncryptResult back = client.encrypt(key, PLAINTEXT, AAD);
            assertThat(back.fallback()).as("half-open trial succeeds: back to the service").isFalse();
            assertThat(state(meters)).isEqualTo(State.CLOSED);
            assertThat(client.decrypt(r, AAD)).isEqualTo(PLAINTEXT);
            assertThat(client.decrypt(back, AAD)).isEqualTo(PLAINTEXT);
        }
    }
}
