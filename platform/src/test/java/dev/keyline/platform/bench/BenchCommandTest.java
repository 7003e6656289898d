package dev.keyline.platform.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.platform.Keyline;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A short run of {@code keyline bench crypto}: it measures every row without errors and writes its JSON. */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void benchCrypto_shortRun_measuresEveryRowWithoutErrors() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Keyline.commandLine(new Keyline(java.util.Map.of(), java.io.InputStream.nullInputStream()));
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        Path json = dir.resolve("bench.json");
        int code = cli.execute("bench", "crypto", "--seconds", "1", "--warmup", "0", "--concurrency", "8", "--out", json.toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("rpc encrypt 1KiB", "rpc sign es256", "rpc batch encrypt 100x1KiB", "encrypt rpc / empty rpc");
        JsonNode doc = new ObjectMapper().readTree(json.toFile());
        JsonNode rows = doc.path("crypto").path("rows");
        assertThat(rows.size()).isGreaterThanOrEqualTo(9);
        for (JsonNode row : rows) {
            assertThat(row.path("errors").asLong()).as(row.path("name").asText()).isZero();
            assertThat(row.path("ops_per_second").asLong()).as(row.path("name").asText()).isPositive();
        }
    }
}
