package dev.keyline.platform.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load generator: keeps {@code concurrency} asynchronous calls in flight for a
 * fixed time, records each call's latency, and stops by itself. Errors are counted, not thrown.
 */
final class LoadLoop {
    private LoadLoop() {
    }

    /** Throughput and latency of one run. */
    record Result(String name, long calls, long errors, double seconds, double p50Micros, double p99Micros, double itemsPerCall) {
        double opsPerSecond() {
            return calls / seconds;
        }

        double itemsPerSecond() {
            return calls * itemsPerCall / seconds;
        }
    }

    /** The faster of two runs of the same benchmark ({@code a} may be null). */
    static Result best(Result a, Result b) {
        return a == null || b.opsPerSecond() > a.opsPerSecond() ? b : a;
    }

    static Result run(String name, int concurrency, Duration warmup, Duration measure, double itemsPerCall,
            Supplier<ListenableFuture<?>> call) throws InterruptedException {
        drive(concurrency, warmup, call, null, new AtomicLong(), new AtomicLong());
        Recorder recorder = new Recorder(3);
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        drive(concurrency, measure, call, recorder, ok, errors);
        double seconds = (System.nanoTime() - start) / 1e9;
        var h = recorder.getIntervalHistogram();
        return new Result(name, ok.get(), errors.get(), seconds, h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, itemsPerCall);
    }

    private static void drive(int concurrency, Duration duration, Supplier<ListenableFuture<?>> call, Recorder recorder,
            AtomicLong ok, AtomicLong errors) throws InterruptedException {
        Semaphore window = new Semaphore(concurrency);
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            window.acquire();
            long t0 = System.nanoTime();
            ListenableFuture<?> f;
            try {
                f = call.get();
            } catch (RuntimeException e) {
                errors.incrementAndGet();
                window.release();
                continue;
            }
            Futures.addCallback(f, new FutureCallback<Object>() {
                @Override
                public void onSuccess(Object result) {
                    if (recorder != null) {
                        recorder.recordValue(System.nanoTime() - t0);
                    }
                    ok.incrementAndGet();
                    window.release();
                }

                @Override
                public void onFailure(Throwable t) {
                    errors.incrementAndGet();
                    window.release();
                }
            }, MoreExecutors.directExecutor());
        }
        // Let the calls still in flight finish before the next phase starts.
        window.acquire(concurrency);
        window.release(concurrency);
    }

    /** Runs {@code op} on {@code threads} threads for a fixed time; for in-process primitives. */
    static Result runLocal(String name, int threads, Duration warmup, Duration measure, Runnable op) throws InterruptedException {
        localPhase(threads, warmup, op, new AtomicLong());
        AtomicLong count = new AtomicLong();
        long start = System.nanoTime();
        localPhase(threads, measure, op, count);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(name, count.get(), 0, seconds, Double.NaN, Double.NaN, 1);
    }

    private static void localPhase(int threads, Duration d, Runnable op, AtomicLong count) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = Thread.ofPlatform().start(() -> {
                long n = 0;
                while (System.nanoTime() < end) {
                    for (int k = 0; k < 16; k++) {
                        op.run();
                    }
                    n += 16;
                }
                count.addAndGet(n);
            });
        }
        for (Thread t : ts) {
            t.join();
        }
    }
}
