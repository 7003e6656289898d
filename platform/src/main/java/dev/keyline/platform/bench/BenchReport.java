package dev.keyline.platform.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one {@code keyline bench} run measured, and its three forms: the table on the
 * terminal, {@code bench-results.json} and (through {@link HtmlChart}) the HTML chart.
 *
 * @param command the command line that produced it, for the reader who wants to run it again
 * @param loadBefore the load average when the run started (the machine may be shared)
 * @param loadAfter the load average when it ended
 */
record BenchReport(String command, Instant startedAt, Duration took, String loadBefore, String loadAfter, List<Suite> suites) {
    BenchReport {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(took, "took");
        Objects.requireNonNull(loadBefore, "loadBefore");
        Objects.requireNonNull(loadAfter, "loadAfter");
        suites = List.copyOf(suites);
    }

    private static final String ROW_FORMAT = "%-7s %-48s %14s %12s %9s %9s %7s  %-22s %s%n";

    long count(Check.Verdict verdict) {
        return suites.stream().flatMap(s -> s.checks().stream()).filter(c -> c.verdict() == verdict).count();
    }

    long errors() {
        return suites.stream().flatMap(s -> s.rows().stream()).mapToLong(Row::errors).sum();
    }

    /**
     * One table: per suite, its measured rows (rates, latencies, errors), then the figures it has targets for
     * names with their targets and PASS/FAIL. Then the notes that qualify the figures.
     */
    void print(PrintWriter out) {
        out.println("Keyline benchmarks: " + Machine.summary());
        out.printf(Locale.ROOT, "%s; load average before %s, after %s; took %d:%02d%n", command, loadBefore, loadAfter, took.toMinutes(),
                took.toSecondsPart());
        out.println();
        out.printf(Locale.ROOT, ROW_FORMAT, "suite", "benchmark / figure", "ops/s | value", "items/s", "p50 us", "p99 us", "errors", "target",
                "result");
        out.printf(Locale.ROOT, ROW_FORMAT, "-".repeat(7), "-".repeat(48), "-".repeat(14), "-".repeat(12), "-".repeat(9), "-".repeat(9),
                "-".repeat(7), "-".repeat(22), "------");
        for (Suite s : suites) {
            for (Row r : s.rows()) {
                out.printf(Locale.ROOT, ROW_FORMAT, s.name(), clip(r.name()), Numbers.plain(r.opsPerSecond()), Numbers.plain(r.itemsPerSecond()),
                        Numbers.plain(r.p50Micros()), Numbers.plain(r.p99Micros()), r.errors(), "", r.errors() == 0 ? "" : "ERRORS");
            }
            for (Check c : s.checks()) {
                out.printf(Locale.ROOT, ROW_FORMAT, s.name(), clip("> " + c.name()), c.valueText(), "", "", "", "", c.targetText(),
                        c.verdict() == Check.Verdict.INFO ? "" : c.verdict().name());
            }
            out.println();
        }
        out.printf(Locale.ROOT, "targets: %d PASS, %d FAIL; %d errors in all rows%n", count(Check.Verdict.PASS), count(Check.Verdict.FAIL),
                errors());
        for (Suite s : suites) {
            for (String n : s.notes()) {
                out.println("  " + s.name() + " (" + s.scope() + "): " + n);
            }
        }
        out.flush();
    }

    private static String clip(String s) {
        return s.length() <= 48 ? s : s.substring(0, 47) + "~";
    }

    /** The report as JSON-ready maps; NaN (not measured) becomes {@code null}. */
    Map<String, Object> toJson() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("command", command);
        doc.put("started_at", startedAt.toString());
        doc.put("seconds", took.toSeconds());
        doc.put("machine", Machine.toJson());
        Map<String, Object> load = new LinkedHashMap<>();
        load.put("before", loadBefore);
        load.put("after", loadAfter);
        doc.put("load_average", load);
        List<Map<String, Object>> suiteList = new ArrayList<>();
        for (Suite s : suites) {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("name", s.name());
            sm.put("scope", s.scope());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Row r : s.rows()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", r.name());
                row.put("ops_per_second", number(r.opsPerSecond()));
                row.put("items_per_second", number(r.itemsPerSecond()));
                row.put("p50_us", number(r.p50Micros()));
                row.put("p99_us", number(r.p99Micros()));
                row.put("errors", r.errors());
                rows.add(row);
            }
            sm.put("rows", rows);
            List<Map<String, Object>> checks = new ArrayList<>();
            for (Check c : s.checks()) {
                Map<String, Object> cm = new LinkedHashMap<>();
                cm.put("name", c.name());
                cm.put("value", number(c.value()));
                cm.put("unit", c.unit());
                switch (c.target()) {
                    case Check.AtLeast a -> cm.put("target", Map.of("at_least", a.bound()));
                    case Check.AtMost a -> cm.put("target", Map.of("at_most", a.bound()));
                    case Check.NoTarget n -> { }
                }
                cm.put("result", c.verdict().name());
                checks.add(cm);
            }
            sm.put("checks", checks);
            sm.put("notes", s.notes());
            suiteList.add(sm);
        }
        doc.put("suites", suiteList);
        doc.put("summary", Map.of("pass", count(Check.Verdict.PASS), "fail", count(Check.Verdict.FAIL), "errors", errors()));
        return doc;
    }

    private static Double number(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : Numbers.rounded(v);
    }

    void writeJson(Path file) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), toJson());
    }
}
