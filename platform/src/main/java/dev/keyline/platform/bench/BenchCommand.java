package dev.keyline.platform.bench;

import dev.keyline.platform.Keyline;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keyline bench}: benchmarks on this machine, on loopback only; every run stops by itself.
 *
 * <p>Exit codes: 0 when everything was measured without errors (a missed target is a finding, not a
 * failure of the command: the table and the JSON say PASS or FAIL); 1 when a benchmark stopped or
 * had errors; 2 when the command line is wrong.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        subcommands = {BenchCommand.Crypto.class, BenchCommand.Token.class, BenchCommand.Iam.class, BenchCommand.All.class},
        description = "Measure Keyline on this machine (loopback only; each run is bounded in time).")
public final class BenchCommand implements Callable<Integer> {
    static final int TOKEN_CONCURRENCY = 32;
    static final String DEFAULT_REDIS = "redis://127.0.0.1:6379";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Keyline.USAGE;
    }

    /** {@code keyline bench crypto}. */
    @Command(name = "crypto", mixinStandardHelpOptions = true,
            description = "In-process AES-GCM and ES256 per provider, then Encrypt/Sign/Verify/batch RPC rates against a crypto service "
                    + "started on a loopback port, with the ratios the targets name.")
    public static final class Crypto implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per benchmark (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds per benchmark (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--concurrency", defaultValue = "64", description = "Calls in flight for RPC benchmarks (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Option(names = "--out", description = "Also write the results as JSON to this file.")
        Path outFile;

        @Override
        public Integer call() throws Exception {
            if (!durationsValid(spec, seconds, warmup)) {
                return Keyline.USAGE;
            }
            if (concurrency < 1 || concurrency > 1024) {
                return usage(spec, "--concurrency must be 1..1024");
            }
            return runOne(spec, outFile, p -> new CryptoBench(Duration.ofSeconds(warmup), Duration.ofSeconds(seconds), concurrency, p).run());
        }
    }

    /** {@code keyline bench token}. */
    @Command(name = "token", mixinStandardHelpOptions = true,
            description = {"client_credentials tokens/s, p50/p99, CPU-seconds per 1,000 tokens and RSS, against the token service's targets.",
                "Without --url: starts a crypto service and a token service on loopback in this JVM and measures ES256 signed by the "
                        + "crypto service, then by the local key; CPU and RSS are this JVM's, load generator included.",
                "With --url, --client-id and --secret (or --secret-file): any RFC 6749 token endpoint (http://)."})
    public static final class Token implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds per run (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--concurrency", defaultValue = "" + TOKEN_CONCURRENCY,
                description = "Keep-alive connections, each with one request in flight (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Option(names = "--url", description = "Token endpoint to load instead of starting one, e.g. http://127.0.0.1:8080/oauth2/token.")
        URI url;

        @Option(names = "--client-id", description = "Client id for --url (client_credentials, HTTP Basic).")
        String clientId;

        @Option(names = "--secret", description = "Client secret for --url (visible to ps; prefer --secret-file).")
        String secret;

        @Option(names = "--secret-file", description = "File holding the client secret for --url.")
        Path secretFile;

        @Option(names = "--server-pid", defaultValue = "-1",
                description = "With --url: pid of the token server on this machine, to report its CPU per 1,000 tokens and its RSS.")
        long serverPid;

        @Option(names = "--out", description = "Also write the results as JSON to this file.")
        Path outFile;

        @Override
        public Integer call() throws Exception {
            if (!durationsValid(spec, seconds, warmup)) {
                return Keyline.USAGE;
            }
            if (concurrency < 1 || concurrency > 1024) {
                return usage(spec, "--concurrency must be 1..1024");
            }
            TokenBench.Endpoint endpoint;
            if (url == null) {
                if (clientId != null || secret != null || secretFile != null || serverPid >= 0) {
                    return usage(spec, "--client-id, --secret, --secret-file and --server-pid go with --url");
                }
                endpoint = new TokenBench.Started();
            } else {
                if (clientId == null || (secret == null) == (secretFile == null)) {
                    return usage(spec, "--url needs --client-id and one of --secret or --secret-file");
                }
                if (!"http".equals(url.getScheme()) || url.getHost() == null) {
                    return usage(spec, "--url must be an http:// URL (the load generator speaks plain HTTP/1.1)");
                }
                String s;
                try {
                    s = secret != null ? secret : TokenBench.readSecret(secretFile);
                } catch (IOException e) {
                    return usage(spec, "cannot read --secret-file " + secretFile + ": " + e.getMessage());
                }
                endpoint = new TokenBench.External(url, clientId, s, serverPid);
            }
            TokenBench.Endpoint target = endpoint;
            return runOne(spec, outFile, p -> new TokenBench(Duration.ofSeconds(warmup), Duration.ofSeconds(seconds), concurrency, p).run(target));
        }
    }

    /** {@code keyline bench iam}. */
    @Command(name = "iam", mixinStandardHelpOptions = true,
            description = "Decisions/s and p50/p99 of the IAM decision path (against its targets): uncached Cedar, L1 hit, L2 hit plaintext "
                    + "and encrypted in Redis, L1 hit with signing; crypto service on loopback in this JVM.")
    public static final class Iam implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per scenario (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds per scenario (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--threads", description = "Threads making decisions (default: the number of cores).")
        Integer threads;

        @Option(names = "--redis", defaultValue = DEFAULT_REDIS,
                description = "Redis for the L2 cache (keys under a fresh prefix, deleted afterwards), or 'none' for memory (default: ${DEFAULT-VALUE}).")
        String redis;

        @Option(names = "--out", description = "Also write the results as JSON to this file.")
        Path outFile;

        @Override
        public Integer call() throws Exception {
            if (!durationsValid(spec, seconds, warmup)) {
                return Keyline.USAGE;
            }
            int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
            if (t < 1 || t > 256) {
                return usage(spec, "--threads must be 1..256");
            }
            DecisionBench.L2 l2 = l2(redis);
            if (!redisReachable(spec, l2)) {
                return Keyline.FAILED;
            }
            return runOne(spec, outFile, p -> new DecisionBench(Duration.ofSeconds(warmup), Duration.ofSeconds(seconds), t, p).run(l2));
        }
    }

    /** {@code keyline bench all}. */
    @Command(name = "all", mixinStandardHelpOptions = true,
            description = {"The crypto, token and IAM benchmarks in one run: one table with the figures and their targets "
                    + "(PASS/FAIL), bench-results.json and a self-contained HTML chart next to it (bench-results.html).",
                "Defaults take about 5 minutes on 2 cores. Needs Redis for the IAM L2 figures (--redis none: in memory)."})
    public static final class All implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per benchmark (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds per benchmark (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--out", defaultValue = "bench-results.json",
                description = "The JSON results; the HTML chart goes next to it with .html (default: ./${DEFAULT-VALUE}).")
        Path outFile;

        @Option(names = "--redis", defaultValue = DEFAULT_REDIS,
                description = "Redis for the IAM L2 cache, or 'none' for memory (default: ${DEFAULT-VALUE}).")
        String redis;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (!durationsValid(spec, seconds, warmup)) {
                return Keyline.USAGE;
            }
            Path json = outFile.toAbsolutePath();
            Path html = htmlNextTo(json);
            // Found out now rather than after minutes of measuring.
            if (!Files.isDirectory(json.getParent()) || !Files.isWritable(json.getParent())) {
                return usage(spec, "--out: " + json.getParent() + " is not a writable directory");
            }
            DecisionBench.L2 l2 = l2(redis);
            if (!redisReachable(spec, l2)) {
                return Keyline.FAILED;
            }
            Duration w = Duration.ofSeconds(warmup);
            Duration m = Duration.ofSeconds(seconds);
            int cores = Runtime.getRuntime().availableProcessors();
            Progress progress = new Progress(out);
            Instant started = Instant.now();
            String loadBefore = Machine.loadAverage();
            // Crypto: 14 rows, 12 warm-up runs, 6 alternating client/stub rounds at half warm-up and 8 envelope/raw
            // rounds at half of both; token: 2 runs after 2 rounds of both signing paths at twice the warm-up; IAM: 5 scenarios.
            long estimate = (67L * seconds + 101L * warmup) / 2 + 15;
            progress.step(String.format(java.util.Locale.ROOT, "bench all: token, crypto and IAM suites, about %d:%02d (load average %s)",
                    estimate / 60, estimate % 60, loadBefore));

            // The token suite goes first, on a fresh JVM: its target is an absolute rate (and an RSS),
            // which the code shapes and heap the crypto suite leaves behind would skew; the crypto
            // targets are ratios of rows measured side by side. The table keeps the order crypto, token, IAM.
            Suite token = suite(progress, TokenBench.NAME, TokenBench.SCOPE,
                    p -> new TokenBench(w, m, TOKEN_CONCURRENCY, p).run(new TokenBench.Started()));
            Suite crypto = suite(progress, CryptoBench.NAME, CryptoBench.SCOPE, p -> new CryptoBench(w, m, 64, p).run());
            Suite iam = suite(progress, DecisionBench.NAME, DecisionBench.SCOPE, p -> new DecisionBench(w, m, cores, p).run(l2));
            List<Suite> suites = new ArrayList<>(List.of(crypto, token, iam));
            progress.suite("");
            progress.step("done");

            BenchReport report = new BenchReport(commandLine(spec), started, Duration.between(started, Instant.now()), loadBefore,
                    Machine.loadAverage(), suites);
            out.println();
            report.print(out);
            report.writeJson(json);
            HtmlChart.write(report, html);
            out.println("wrote " + json);
            out.println("wrote " + html);
            out.flush();
            return outcome(report);
        }

        private Suite suite(Progress progress, String name, String scope, Bench bench) throws InterruptedException {
            progress.suite(name);
            // Each suite starts from a collected heap, so the memory one suite grew does not count
            // against the next one's RSS figure (G1 returns free heap to the OS after a full GC).
            System.gc();
            try {
                return bench.run(progress);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                // One suite failing must not lose the others' figures: it is reported as FAIL, and the exit code is 1.
                spec.commandLine().getErr().println("error: the " + name + " benchmark stopped: " + e);
                spec.commandLine().getErr().flush();
                return Suite.failed(name, scope, e);
            }
        }
    }

    /** One suite of benchmarks, given where to report progress. */
    @FunctionalInterface
    interface Bench {
        Suite run(Progress progress) throws Exception;
    }

    private static int runOne(CommandSpec spec, Path outFile, Bench bench) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Instant started = Instant.now();
        String loadBefore = Machine.loadAverage();
        Suite suite = bench.run(new Progress(out));
        BenchReport report = new BenchReport(commandLine(spec), started, Duration.between(started, Instant.now()), loadBefore,
                Machine.loadAverage(), List.of(suite));
        out.println();
        report.print(out);
        if (outFile != null) {
            report.writeJson(outFile);
        }
        return outcome(report);
    }

    private static int outcome(BenchReport report) {
        boolean stopped = report.suites().stream().anyMatch(s -> s.rows().isEmpty());
        return stopped || report.errors() > 0 ? Keyline.FAILED : Keyline.OK;
    }

    static Path htmlNextTo(Path json) {
        String name = json.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return json.resolveSibling(base + ".html");
    }

    /** How this run was asked for, to print with its results; the value of {@code --secret} is replaced. */
    private static String commandLine(CommandSpec spec) {
        List<String> words = new ArrayList<>();
        words.add(spec.root().name());
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--secret") && i + 1 < args.size()) {
                words.add(a);
                words.add("***");
                i++;
            } else {
                words.add(a.startsWith("--secret=") ? "--secret=***" : a);
            }
        }
        return String.join(" ", words);
    }

    private static DecisionBench.L2 l2(String redis) {
        return redis.equalsIgnoreCase("none") ? new DecisionBench.InMemory() : new DecisionBench.Redis(redis);
    }

    private static boolean redisReachable(CommandSpec spec, DecisionBench.L2 l2) {
        try {
            DecisionBench.requireReachable(l2);
            return true;
        } catch (RuntimeException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("error: " + e.getMessage() + " (start Redis, or pass --redis none to keep the L2 cache in memory)");
            err.flush();
            return false;
        }
    }

    private static boolean durationsValid(CommandSpec spec, int seconds, int warmup) {
        if (seconds < 1 || seconds > 120 || warmup < 0 || warmup > 60) {
            usage(spec, "--seconds must be 1..120 and --warmup 0..60");
            return false;
        }
        return true;
    }

    private static int usage(CommandSpec spec, String message) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("error: " + message);
        err.println("Try '" + spec.qualifiedName() + " --help' for usage.");
        err.flush();
        return Keyline.USAGE;
    }
}
