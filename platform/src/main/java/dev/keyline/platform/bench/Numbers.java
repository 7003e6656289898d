package dev.keyline.platform.bench;

import java.util.Locale;

/** Number formatting shared by the table, the JSON and the chart: fixed locale, no spurious digits. */
final class Numbers {
    private Numbers() {
    }

    /** {@code 12,345} for large values, {@code 0.91} or {@code 1.3} for small ones, {@code -} for NaN. */
    static String plain(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        double a = Math.abs(v);
        if (a >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** For JSON: NaN has no JSON form, so it becomes absent (the caller skips it); otherwise 3 significant decimals. */
    static double rounded(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return Math.rint(v);
        }
        return Math.round(v * 1000) / 1000.0;
    }
}
