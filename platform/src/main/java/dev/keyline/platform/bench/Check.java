package dev.keyline.platform.bench;

import java.util.Objects;

/**
 * A measured figure (a ratio, a rate, a latency, a memory size) and the target set for it, if
 * any. A figure that could not be measured (NaN) fails its target.
 */
record Check(String name, double value, String unit, Target target) {
    Check {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(target, "target");
    }

    /** What the figure should reach. */
    sealed interface Target permits AtLeast, AtMost, NoTarget { }

    record AtLeast(double bound) implements Target { }

    record AtMost(double bound) implements Target { }

    /** Reported for comparison; no bound is set. */
    record NoTarget() implements Target { }

    enum Verdict { PASS, FAIL, INFO }

    static Check atLeast(String name, double value, String unit, double bound) {
        return new Check(name, value, unit, new AtLeast(bound));
    }

    static Check atMost(String name, double value, String unit, double bound) {
        return new Check(name, value, unit, new AtMost(bound));
    }

    static Check info(String name, double value, String unit) {
        return new Check(name, value, unit, new NoTarget());
    }

    Verdict verdict() {
        return switch (target) {
            case NoTarget n -> Verdict.INFO;
            case AtLeast a -> !Double.isNaN(value) && value >= a.bound() ? Verdict.PASS : Verdict.FAIL;
            case AtMost a -> !Double.isNaN(value) && value <= a.bound() ? Verdict.PASS : Verdict.FAIL;
        };
    }

    /** The target as text, e.g. {@code >= 0.8} or {@code <= 20 ms}; empty without one. */
    String targetText() {
        return switch (target) {
            case NoTarget n -> "";
            case AtLeast a -> ">= " + Numbers.plain(a.bound()) + unitSuffix();
            case AtMost a -> "<= " + Numbers.plain(a.bound()) + unitSuffix();
        };
    }

    String valueText() {
        return Numbers.plain(value) + unitSuffix();
    }

    private String unitSuffix() {
        return unit.isEmpty() ? "" : " " + unit;
    }
}
