package dev.keyline.platform.run;

import java.io.PrintWriter;
import java.util.List;

/** Services a run command started: it prints what a person needs to use them, and closes them. */
interface Running extends AutoCloseable {
    void printBanner(PrintWriter out);

    /** Stops accepting requests, lets in-flight ones finish and releases everything. */
    @Override
    void close();

    /** One service whose banner is {@code title}, then one {@code name  value} line per row. */
    static Running of(String title, List<List<String>> rows, Runnable close) {
        return new Running() {
            @Override
            public void printBanner(PrintWriter out) {
                int width = rows.stream().mapToInt(r -> r.get(0).length()).max().orElse(0) + 2;
                out.println(title);
                for (List<String> r : rows) {
                    out.println("  " + r.get(0) + " ".repeat(width - r.get(0).length()) + r.get(1));
                }
                out.println("Stop with Ctrl-C.");
            }

            @Override
            public void close() {
                close.run();
            }
        };
    }
}
