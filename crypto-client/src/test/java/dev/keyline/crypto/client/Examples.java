package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.quicktheories.QuickTheory;

/** The property-test settings of this module: at least 100 examples per property, counted. */
final class Examples {
    static final int COUNT = 100;

    private final AtomicInteger runs = new AtomicInteger();

    /**
     * QuickTheories asked for a few more than {@value #COUNT} examples (it may drop a repeated
     * one), with a bounded shrink (the service is stateful).
     */
    static QuickTheory qt() {
        return QuickTheory.qt().withExamples(COUNT + COUNT / 5).withShrinkCycles(30);
    }

    /** Call once per example. */
    void ran() {
        runs.incrementAndGet();
    }

    /** After the property: checks it really ran at least {@value #COUNT} examples. */
    void assertEnough() {
        assertThat(runs.get()).as("examples run").isGreaterThanOrEqualTo(COUNT);
    }
}
