package dev.keyline.platform.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report as one self-contained HTML page: per suite, an inline SVG bar chart of throughput
 * and one of p50/p99 latency, then its targets with PASS/FAIL. No scripts, fonts or stylesheets
 * from anywhere else, so the file can be mailed or archived and still render.
 */
final class HtmlChart {
    private static final int WIDTH = 1000;
    private static final int LABEL = 330;
    private static final int PLOT = 540;
    private static final int BAR = 14;
    private static final String THROUGHPUT = "#3b6fb6";
    private static final String P50 = "#59a14f";
    private static final String P99 = "#e15759";

    private HtmlChart() {
    }

    static void write(BenchReport report, Path file) throws IOException {
        Files.writeString(file, render(report), StandardCharsets.UTF_8);
    }

    static String render(BenchReport report) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Keyline benchmarks</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1040px}\n")
                .append("h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #ddd}\n")
                .append("h3{font-size:14px;margin:12px 0 2px;color:#444}.meta{color:#555;font-size:13px;margin:2px 0}\n")
                .append("table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}\n")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}.PASS{color:#fff;background:#2e7d32;font-weight:bold}\n")
                .append(".FAIL{color:#fff;background:#c62828;font-weight:bold}.INFO{color:#666}ul{font-size:12px;color:#555}\n")
                .append("svg text{font-family:system-ui,sans-serif;font-size:12px}\n")
                .append("</style></head><body>\n");
        h.append("<h1>Keyline benchmarks</h1>\n");
        h.append("<p class=\"meta\">").append(esc(Machine.summary())).append("</p>\n");
        h.append("<p class=\"meta\"><code>").append(esc(report.command())).append("</code>, started ").append(esc(report.startedAt().toString()))
                .append(String.format(Locale.ROOT, ", took %d:%02d", report.took().toMinutes(), report.took().toSecondsPart()))
                .append("; load average before ").append(esc(report.loadBefore())).append(", after ").append(esc(report.loadAfter()))
                .append("</p>\n");
        h.append("<p class=\"meta\">targets: <b>").append(report.count(Check.Verdict.PASS)).append(" PASS</b>, <b>")
                .append(report.count(Check.Verdict.FAIL)).append(" FAIL</b>; ").append(report.errors()).append(" errors in all rows</p>\n");
        for (Suite s : report.suites()) {
            h.append("<h2>").append(esc(s.name())).append(" <small>(").append(esc(s.scope())).append(")</small></h2>\n");
            List<Row> rows = s.rows();
            if (!rows.isEmpty()) {
                h.append("<h3>Throughput (operations per second; batch rows count items)</h3>\n");
                h.append(chart(rows.stream().map(Row::name).toList(), List.of(new Series("items/s", THROUGHPUT,
                        rows.stream().mapToDouble(Row::itemsPerSecond).toArray())), "/s"));
                List<Row> timed = rows.stream().filter(Row::hasLatency).toList();
                if (!timed.isEmpty()) {
                    h.append("<h3>Latency per call, p50 and p99 (microseconds)</h3>\n");
                    h.append(chart(timed.stream().map(Row::name).toList(), List.of(
                            new Series("p50", P50, timed.stream().mapToDouble(Row::p50Micros).toArray()),
                            new Series("p99", P99, timed.stream().mapToDouble(Row::p99Micros).toArray())), " µs"));
                }
            }
            h.append("<table><tr><th>figure</th><th>value</th><th>target</th><th>result</th></tr>\n");
            for (Check c : s.checks()) {
                h.append("<tr><td>").append(esc(c.name())).append("</td><td class=\"n\">").append(esc(c.valueText())).append("</td><td>")
                        .append(esc(c.targetText())).append("</td><td class=\"").append(c.verdict().name()).append("\">")
                        .append(c.verdict() == Check.Verdict.INFO ? "info" : c.verdict().name()).append("</td></tr>\n");
            }
            h.append("</table>\n");
            if (rows.stream().anyMatch(r -> r.errors() > 0)) {
                h.append("<p class=\"FAIL\">errors: ");
                rows.stream().filter(r -> r.errors() > 0).forEach(r -> h.append(esc(r.name())).append(" (").append(r.errors()).append(") "));
                h.append("</p>\n");
            }
            h.append("<ul>");
            s.notes().forEach(n -> h.append("<li>").append(esc(n)).append("</li>"));
            h.append("</ul>\n");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private record Series(String name, String color, double[] values) { }

    /**
     * Horizontal bars, one group per label, one bar per series. A logarithmic axis when the values
     * span more than a factor of 30 (in-process rates next to RPC rates), else a linear one from 0.
     */
    static String chart(List<String> labels, List<Series> series, String unit) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Series s : series) {
            for (double v : s.values()) {
                if (v > 0 && Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (max == 0) {
            return "<p class=\"meta\">nothing measured</p>\n";
        }
        boolean log = max / min > 30;
        // A log axis starts at least half a decade below the smallest value, so that bar is still visible.
        double lo = log ? Math.pow(10, Math.floor(Math.log10(min) - 0.5)) : 0;
        double hi = log ? Math.pow(10, Math.ceil(Math.log10(max))) : niceCeiling(max);
        if (log && hi <= lo) {
            hi = lo * 10;
        }
        int group = series.size() * (BAR + 2) + 8;
        int top = 22;
        int height = top + labels.size() * group + 26;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " role=\"img\">\n", WIDTH, height, WIDTH, height));
        // Legend.
        int lx = LABEL;
        for (Series s : series) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"14\">%s</text>\n",
                    lx, s.color(), lx + 16, esc(s.name())));
            lx += 90;
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\" fill=\"#666\">%s scale</text>\n", lx, log ? "logarithmic" : "linear"));
        // Grid and axis labels.
        List<Double> ticks = new ArrayList<>();
        if (log) {
            for (double t = lo; t <= hi * 1.0001; t *= 10) {
                ticks.add(t);
            }
        } else {
            double step = hi / 5;
            for (int i = 0; i <= 5; i++) {
                ticks.add(step * i);
            }
        }
        int plotBottom = top + labels.size() * group;
        for (double t : ticks) {
            double x = LABEL + PLOT * position(t, lo, hi, log);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#666\">%s</text>\n", x, top - 2, x, plotBottom, x, plotBottom + 16,
                    esc(compact(t))));
        }
        for (int i = 0; i < labels.size(); i++) {
            int y = top + i * group + 4;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", LABEL - 8,
                    y + (series.size() * (BAR + 2)) / 2 + 4, esc(labels.get(i))));
            for (int k = 0; k < series.size(); k++) {
                double v = series.get(k).values()[i];
                int by = y + k * (BAR + 2);
                double w = v > 0 && Double.isFinite(v) ? Math.max(1, PLOT * position(v, lo, hi, log)) : 0;
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s %s: %s%s</title>"
                        + "</rect><text x=\"%.1f\" y=\"%d\">%s%s</text>\n", LABEL, by, w, BAR, series.get(k).color(), esc(labels.get(i)),
                        esc(series.get(k).name()), esc(Numbers.plain(v)), esc(unit), LABEL + w + 4, by + BAR - 3, esc(Numbers.plain(v)), esc(unit)));
            }
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", LABEL, top - 2, LABEL, plotBottom));
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static double position(double v, double lo, double hi, boolean log) {
        double p = log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : v / hi;
        return Math.max(0, Math.min(1, p));
    }

    /** The smallest 1, 2 or 5 times a power of ten that is at least {@code v}. */
    private static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** Axis labels: {@code 400}, {@code 1.2k}, {@code 10k}, {@code 1M}. */
    private static String compact(double v) {
        if (v >= 1e6) {
            return trim(v / 1e6) + "M";
        }
        if (v >= 1e3) {
            return trim(v / 1e3) + "k";
        }
        return trim(v);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
