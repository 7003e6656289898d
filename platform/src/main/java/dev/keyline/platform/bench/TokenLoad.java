package dev.keyline.platform.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load generator for any RFC 6749 token endpoint: {@code concurrency} HTTP/1.1 keep-alive
 * connections, each sending {@code grant_type=client_credentials} with HTTP Basic as fast as
 * answers come, for a warm-up and then a measured duration. Reports tokens per second, p50/p99
 * latency, errors, and this process's CPU seconds per 1,000 tokens; given the server's pid (same
 * machine), also the server's CPU seconds per 1,000 tokens and its RSS.
 *
 * <p>A raw socket client instead of {@code java.net.http}: on a 2-core machine the generator's own
 * CPU use decides how much is left for the server, and this one costs little per request.
 *
 * <pre>
 * java -cp ... dev.keyline.platform.bench.TokenLoad http://127.0.0.1:8080/oauth2/token svc SECRET 32 PT30S [PT5S warm-up] [server pid]
 * </pre>
 */
public final class TokenLoad {
    /** What to run. */
    public record Options(URI tokenUrl, String clientId, String clientSecret, int concurrency, Duration duration, Duration warmup,
            long serverPid) {
        public Options {
            Objects.requireNonNull(tokenUrl, "tokenUrl");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(clientSecret, "clientSecret");
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(warmup, "warmup");
            if (!"http".equals(tokenUrl.getScheme())) {
                throw new IllegalArgumentException("only http:// token URLs are supported");
            }
            if (concurrency < 1 || concurrency > 1024) {
                throw new IllegalArgumentException("concurrency must be between 1 and 1024");
            }
            if (duration.isNegative() || duration.isZero() || duration.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("duration must be positive and at most 1 hour");
            }
        }
    }

    /**
     * The outcome of the measured part.
     *
     * @param tokens successful answers that started and ended inside the measured window
     * @param errors non-200 answers and I/O failures, warm-up included
     * @param answered every answer read, warm-up and non-200 included; each connection sends at
     *     least one request however short the run, so this is at least the concurrency unless
     *     connections fail
     * @param serverCpuSecondsPer1000 -1 when no server pid was given
     * @param serverRssBytes -1 when no server pid was given
     */
    public record Result(long tokens, long errors, long answered, double seconds, double tokensPerSecond, double p50Millis,
            double p99Millis, double maxMillis, double loadCpuSecondsPer1000, double serverCpuSecondsPer1000, long serverRssBytes) {
        public String toText() {
            return String.format(Locale.ROOT, "tokens=%d errors=%d seconds=%.1f tokens/s=%.0f p50=%.2fms p99=%.2fms max=%.1fms"
                    + " loadgen_cpu_s_per_1000=%.3f server_cpu_s_per_1000=%.3f server_rss_mb=%.0f", tokens, errors, seconds, tokensPerSecond,
                    p50Millis, p99Millis, maxMillis, loadCpuSecondsPer1000, serverCpuSecondsPer1000,
                    serverRssBytes < 0 ? -1.0 : serverRssBytes / 1048576.0);
        }
    }

    private TokenLoad() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: TokenLoad <token-url> <client-id> <client-secret> <concurrency> <duration ISO-8601> [warm-up] [server-pid]");
            System.exit(2);
        }
        Options o = new Options(URI.create(args[0]), args[1], args[2], Integer.parseInt(args[3]), Duration.parse(args[4]),
                args.length > 5 ? Duration.parse(args[5]) : Duration.ofSeconds(5), args.length > 6 ? Long.parseLong(args[6]) : -1);
        System.out.println(run(o).toText());
    }

    /** Runs the load and returns the measured part's result. */
    public static Result run(Options o) throws InterruptedException {
        byte[] request = request(o);
        String host = o.tokenUrl().getHost();
        int port = o.tokenUrl().getPort() < 0 ? 80 : o.tokenUrl().getPort();
        long warmupEnd = System.nanoTime() + o.warmup().toNanos();
        long end = warmupEnd + o.duration().toNanos();
        AtomicLong errors = new AtomicLong();
        AtomicLong answered = new AtomicLong();
        List<long[]> samples = new ArrayList<>();
        int[] counts = new int[o.concurrency()];
        CountDownLatch done = new CountDownLatch(o.concurrency());
        // At most ~4M samples in all, so memory stays bounded however long the run.
        int perWorker = (int) Math.min(4_000_000L / o.concurrency(), 50_000_000L);
        for (int w = 0; w < o.concurrency(); w++) {
            long[] mine = new long[perWorker];
            samples.add(mine);
            int id = w;
            Thread.ofPlatform().daemon(true).name("token-load-" + w).start(() -> {
                try {
                    counts[id] = worker(host, port, request, warmupEnd, end, mine, errors, answered);
                } finally {
                    done.countDown();
                }
            });
        }
        Thread.sleep(Math.max(0, (warmupEnd - System.nanoTime()) / 1_000_000));
        long cpuStart = processCpuNanos();
        long serverCpuStart = serverCpuTicks(o.serverPid());
        done.await();
        long cpu = processCpuNanos() - cpuStart;
        long serverCpu = serverCpuTicks(o.serverPid()) - serverCpuStart;
        long rss = serverRss(o.serverPid());

        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int w = 0; w < counts.length; w++) {
            System.arraycopy(samples.get(w), 0, all, at, counts[w]);
            at += counts[w];
        }
        Arrays.sort(all);
        double seconds = o.duration().toNanos() / 1e9;
        double per1000 = total == 0 ? 0 : cpu / 1e9 / total * 1000;
        double serverPer1000 = o.serverPid() < 0 || total == 0 ? -1 : serverCpu / 100.0 / total * 1000;
        return new Result(total, errors.get(), answered.get(), seconds, total / seconds, percentile(all, 0.50), percentile(all, 0.99),
                all.length == 0 ? 0 : all[all.length - 1] / 1e6, per1000, serverPer1000, rss);
    }

    private static byte[] request(Options o) {
        String auth = Base64.getEncoder().encodeToString((URLEncoder.encode(o.clientId(), StandardCharsets.UTF_8) + ":"
                + URLEncoder.encode(o.clientSecret(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        String body = "grant_type=client_credentials";
        String path = o.tokenUrl().getRawPath() == null || o.tokenUrl().getRawPath().isEmpty() ? "/" : o.tokenUrl().getRawPath();
        String hostHeader = o.tokenUrl().getHost() + (o.tokenUrl().getPort() < 0 ? "" : ":" + o.tokenUrl().getPort());
        return ("POST " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nAuthorization: Basic " + auth
                + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + body.length() + "\r\nAccept: application/json\r\n\r\n"
                + body).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * One keep-alive connection; returns how many measured samples it recorded. It always makes
     * at least one attempt, so a thread scheduled late on a busy machine still reports what the
     * target answers (a wrong secret is always an error, never an empty result).
     */
    private static int worker(String host, int port, byte[] request, long warmupEnd, long end, long[] samples, AtomicLong errors,
            AtomicLong answered) {
        int n = 0;
        Socket socket = null;
        InputStream in = null;
        OutputStream out = null;
        do {
            try {
                if (socket == null) {
                    socket = new Socket();
                    socket.setTcpNoDelay(true);
                    socket.connect(new InetSocketAddress(host, port), 5000);
                    socket.setSoTimeout(30_000);
                    in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
                    out = socket.getOutputStream();
                }
                long start = System.nanoTime();
                out.write(request);
                out.flush();
                int status = readResponse(in);
                long t = System.nanoTime();
                answered.incrementAndGet();
                if (status != 200) {
                    errors.incrementAndGet();
                } else if (start >= warmupEnd && t <= end && n < samples.length) {
                    samples[n++] = t - start;
                }
            } catch (IOException e) {
                errors.incrementAndGet();
                close(socket);
                socket = null;
            }
        } while (System.nanoTime() < end);
        close(socket);
        return n;
    }

    /** Reads one HTTP/1.1 response with Content-Length; returns its status. */
    private static int readResponse(InputStream in) throws IOException {
        String statusLine = line(in);
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP/1.1 response");
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        int length = -1;
        String h;
        while (!(h = line(in)).isEmpty()) {
            if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Integer.parseInt(h.substring(15).trim());
            }
        }
        if (length < 0) {
            throw new IOException("response without Content-Length");
        }
        long skipped = 0;
        while (skipped < length) {
            long s = in.skip(length - skipped);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed mid-body");
                }
                s = 1;
            }
            skipped += s;
        }
        return status;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed");
    }

    private static void close(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // Closing a broken connection: nothing left to do with it.
            }
        }
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** utime + stime of {@code pid} in clock ticks (1/100 s on Linux), or 0. */
    private static long serverCpuTicks(long pid) {
        if (pid < 0) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long serverRss(long pid) {
        if (pid < 0) {
            return -1;
        }
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
