package dev.keyline.platform.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.iam.cache.RedisCacheStorage;
import dev.keyline.platform.Keyline;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code keyline bench}: one short real run of {@code bench all} (1-second runs, no warm-up: the
 * figures mean nothing, the plumbing is what is tested), and the command-line errors.
 */
class BenchCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int keyline(String... args) {
        CommandLine cli = Keyline.commandLine(new Keyline(Map.of(), InputStream.nullInputStream()));
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void benchAll_shortRun_measuresEveryRowWithoutErrorsAndWritesJsonAndChart() throws Exception {
        Path json = dir.resolve("results").resolve("bench.json");
        Files.createDirectories(json.getParent());

        int code = keyline("bench", "all", "--seconds", "1", "--warmup", "0", "--out", json.toString());

        assertThat(code).as(err.toString()).isZero();
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        List<String> suites = new ArrayList<>();
        doc.path("suites").forEach(s -> suites.add(s.path("name").asText()));
        assertThat(suites).containsExactly("crypto", "token", "iam");
        for (JsonNode suite : doc.path("suites")) {
            String name = suite.path("name").asText();
            assertThat(suite.path("rows").size()).as(name).isGreaterThanOrEqualTo(name.equals("token") ? 2 : 5);
            for (JsonNode row : suite.path("rows")) {
                String what = name + ": " + row.path("name").asText();
                assertThat(row.path("errors").asLong()).as(what).isZero();
                assertThat(row.path("ops_per_second").asDouble()).as(what).isPositive();
            }
            for (JsonNode check : suite.path("checks")) {
                assertThat(check.path("result").asText()).as(name + ": " + check.path("name").asText()).isIn("PASS", "FAIL", "INFO");
            }
        }
        JsonNode crypto = doc.path("suites").get(0);
        assertThat(crypto.path("rows").findValuesAsText("name")).contains("rpc encrypt 1KiB", "rpc sign es256", "rpc batch encrypt 100x1KiB");
        JsonNode token = doc.path("suites").get(1);
        assertThat(token.path("checks").findValuesAsText("name")).contains("tokens/s, ES256 via crypto service",
                "RSS of this JVM after that run", "CPU per 1,000 tokens, crypto service", "CPU per 1,000 tokens, local key");
        // Every token of the crypto run was signed by the crypto service, not by the fallback or bridge key.
        JsonNode otherPath = token.path("checks").findParents("name").stream()
                .filter(c -> c.path("name").asText().equals("tokens signed by another path in that run")).findFirst().orElseThrow();
        assertThat(otherPath.path("result").asText()).isEqualTo("PASS");
        JsonNode iam = doc.path("suites").get(2);
        assertThat(iam.path("rows").findValuesAsText("name")).contains(DecisionBench.UNCACHED, DecisionBench.L1, DecisionBench.L2_PLAIN,
                DecisionBench.L2_ENCRYPTED, DecisionBench.SIGNING);
        assertThat(doc.path("summary").path("pass").asLong() + doc.path("summary").path("fail").asLong()).isGreaterThanOrEqualTo(13);

        Path html = json.resolveSibling("bench.html");
        String page = Files.readString(html);
        assertThat(page).contains("<svg", "rpc sign es256", "client_credentials, ES256 via crypto service", "L2 hit, encrypted");
        // Self-contained: nothing is fetched from anywhere (the only URL is the SVG namespace, and the Redis URL in a note).
        assertThat(page).doesNotContain("<script", "src=", "href=", "<link", "@import");

        assertThat(out.toString()).contains("targets:", "PASS", "> encrypt rpc / empty rpc", "> L1 hit p99 under load")
                .contains("wrote " + json.toAbsolutePath(), "wrote " + html.toAbsolutePath());
        // The IAM benchmark left nothing behind in Redis.
        try (RedisCacheStorage redis = RedisCacheStorage.connect(BenchCommand.DEFAULT_REDIS, "keyline-bench:iam:", Duration.ofSeconds(2))) {
            assertThat(redis.deleteAll()).isZero();
        }
    }

    @Test
    void benchToken_urlWithoutSecret_isAUsageError() {
        int code = keyline("bench", "token", "--url", "http://127.0.0.1:1/oauth2/token", "--client-id", "x");

        assertThat(code).isEqualTo(Keyline.USAGE);
        assertThat(err.toString()).contains("--url needs --client-id and one of --secret or --secret-file");
    }

    @Test
    void benchToken_httpsUrl_isAUsageError() {
        int code = keyline("bench", "token", "--url", "https://127.0.0.1:1/oauth2/token", "--client-id", "x", "--secret", "s");

        assertThat(code).isEqualTo(Keyline.USAGE);
        assertThat(err.toString()).contains("http://");
    }

    @Test
    void benchIam_redisNotListening_failsBeforeMeasuringAndNamesTheWayOut() {
        int code = keyline("bench", "iam", "--seconds", "1", "--redis", "redis://127.0.0.1:1");

        assertThat(code).isEqualTo(Keyline.FAILED);
        assertThat(err.toString()).contains("127.0.0.1:1", "--redis none");
        assertThat(out.toString()).doesNotContain("uncached");
    }

    @Test
    void benchAll_outInAMissingDirectory_isAUsageErrorBeforeMeasuring() {
        int code = keyline("bench", "all", "--out", dir.resolve("missing").resolve("r.json").toString());

        assertThat(code).isEqualTo(Keyline.USAGE);
        assertThat(err.toString()).contains("is not a writable directory");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void benchAll_secondsOutOfRange_isAUsageError() {
        int code = keyline("bench", "all", "--seconds", "0", "--out", dir.resolve("x.json").toString());

        assertThat(code).isEqualTo(Keyline.USAGE);
        assertThat(Files.exists(dir.resolve("x.json"))).isFalse();
    }
}
