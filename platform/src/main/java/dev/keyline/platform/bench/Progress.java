package dev.keyline.platform.bench;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.Locale;
import java.util.Objects;

/**
 * The progress display: one line per step, {@code [m:ss] suite: step}, flushed at once so a
 * long run shows where it is. Time comes from {@link System#nanoTime()}: elapsed time only.
 */
final class Progress {
    private final PrintWriter out;
    private final long start = System.nanoTime();
    private volatile String suite = "";

    Progress(PrintWriter out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    /** Steps from now on belong to {@code name}. */
    void suite(String name) {
        suite = name;
    }

    void step(String what) {
        long s = (System.nanoTime() - start) / 1_000_000_000L;
        out.printf(Locale.ROOT, "[%d:%02d] %s%s%n", s / 60, s % 60, suite.isEmpty() ? "" : suite + ": ", what);
        out.flush();
    }

    /** A writer for a wrapped benchmark's own output: each line it prints becomes a step. */
    PrintWriter lines() {
        return new PrintWriter(new Writer() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public void write(char[] buf, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    char c = buf[i];
                    if (c == '\n') {
                        step(line.toString().strip());
                        line.setLength(0);
                    } else if (c != '\r') {
                        line.append(c);
                    }
                }
            }

            @Override
            public void flush() {
                // Lines are shown when complete.
            }

            @Override
            public void close() {
                if (!line.isEmpty()) {
                    step(line.toString().strip());
                    line.setLength(0);
                }
            }
        }, true);
    }
}
