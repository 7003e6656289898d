package dev.keyline.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs one check on several threads at once, for tests of objects shared between threads. */
public final class Concurrently {
    /** A check run on one thread; {@code thread} numbers the threads from 0. */
    @FunctionalInterface
    public interface Check {
        boolean passes(int thread) throws Exception;
    }

    private Concurrently() {
    }

    /**
     * Whether {@code check} passed on every one of {@code threads} threads started together
     * (a failure or exception on any thread makes it false; waits at most a minute).
     */
    public static boolean allPass(int threads, Check check) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Boolean>> runs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                runs.add(pool.submit(() -> check.passes(thread)));
            }
            boolean all = true;
            for (Future<Boolean> r : runs) {
                try {
                    all &= r.get(1, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    all = false;
                }
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }
}
