package dev.keyline.platform.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyline bench}: benchmarks on this machine, on loopback only; every run stops by itself. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = BenchCommand.Crypto.class,
        description = "Measure Keyline on this machine (loopback only; each run is bounded in time).")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
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
            PrintWriter out = spec.commandLine().getOut();
            if (seconds < 1 || seconds > 120 || warmup < 0 || warmup > 60 || concurrency < 1 || concurrency > 1024) {
                spec.commandLine().getErr().println("error: --seconds must be 1..120, --warmup 0..60, --concurrency 1..1024");
                return 2;
            }
            CryptoBench.Report report = new CryptoBench(Duration.ofSeconds(warmup), Duration.ofSeconds(seconds), concurrency, out).run();
            out.println();
            CryptoBench.print(report, out);
            out.flush();
            if (outFile != null) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("machine", Map.of("cores", Runtime.getRuntime().availableProcessors(), "java", Runtime.version().toString()));
                doc.put("crypto", CryptoBench.toJson(report));
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(outFile.toFile(), doc);
            }
            return 0;
        }
    }
}
