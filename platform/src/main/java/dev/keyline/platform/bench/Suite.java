package dev.keyline.platform.bench;

import java.util.List;
import java.util.Objects;

/**
 * One benchmark suite's outcome: the measured rows, the figures it has targets for, with those
 * targets, and notes on how it ran (what ran where, anything that qualifies a figure).
 *
 * @param scope what the targets are about, e.g. {@code token service}
 */
record Suite(String name, String scope, List<Row> rows, List<Check> checks, List<String> notes) {
    Suite {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(scope, "scope");
        rows = List.copyOf(rows);
        checks = List.copyOf(checks);
        notes = List.copyOf(notes);
    }

    /** A suite that stopped with {@code failure}: it has no rows and one failed check, so the report says FAIL. */
    static Suite failed(String name, String scope, Exception failure) {
        String why = failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        return new Suite(name, scope, List.of(), List.of(Check.atLeast("ran to completion", 0, "", 1)), List.of("failed: " + why));
    }

    long failedChecks() {
        return checks.stream().filter(c -> c.verdict() == Check.Verdict.FAIL).count();
    }
}
