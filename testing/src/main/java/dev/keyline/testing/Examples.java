package dev.keyline.testing;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assertions;

/**
 * Counts the examples a property really ran. QuickTheories never runs the same example twice, so
 * {@code withExamples(100)} over a small domain runs fewer than 100; a property test calls
 * {@link #ran()} once per example and {@link #assertAtLeast(int)} after it, so the count written
 * in docs/properties.md is the one the test checks.
 */
public final class Examples {
    private final AtomicInteger runs = new AtomicInteger();

    /**
     * What to ask QuickTheories for so that at least {@code minimum} examples run: a fifth more,
     * since it drops an example it already ran (seen: 99 of 100 over lists of 4 to 14 numbers).
     */
    public static int asking(int minimum) {
        return minimum + minimum / 5;
    }

    /** Call once per example, first thing in the property's body. */
    public void ran() {
        runs.incrementAndGet();
    }

    /** How many examples ran so far. */
    public int count() {
        return runs.get();
    }

    /** Fails unless at least {@code minimum} examples ran. */
    public void assertAtLeast(int minimum) {
        int n = runs.get();
        if (n < minimum) {
            Assertions.fail("the property ran " + n + " examples, fewer than the " + minimum + " it claims (a small or repeating domain?)");
        }
    }
}
