package dev.keyline.platform.run;

import java.io.PrintWriter;

/** Services a run command started: it prints what a person needs to use them, and closes them. */
interface Running extends AutoCloseable {
    void printBanner(PrintWriter out);

    /** Stops accepting requests, lets in-flight ones finish and releases everything. */
    @Override
    void close();
}
