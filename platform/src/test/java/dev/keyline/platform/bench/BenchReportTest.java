package dev.keyline.platform.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report's verdicts and its three forms (table, JSON, HTML), on fixed figures. */
class BenchReportTest {
    private static final Suite SUITE = new Suite("token", "token service",
            List.of(new Row("fast <b>&", 250_000, 250_000, Double.NaN, Double.NaN, 0), new Row("slow", 5_000, 5_000, 900, 18_000, 3)),
            List.of(Check.atLeast("tokens/s", 4_999, "tokens/s", 5000), Check.atMost("p99", 20, "ms", 20),
                    Check.atMost("rss", Double.NaN, "MB", 400), Check.info("ratio", 0.5, "")),
            List.of("a note"));
    private static final BenchReport REPORT = new BenchReport("keyline bench all", Instant.parse("2026-01-01T00:00:00Z"), Duration.ofSeconds(75),
            "0.5 0.4 0.3", "1.0 0.6 0.4", List.of(SUITE));

    @Test
    void verdict_boundsAreInclusiveAndUnmeasuredFails() {
        assertThat(SUITE.checks()).extracting(Check::verdict)
                .containsExactly(Check.Verdict.FAIL, Check.Verdict.PASS, Check.Verdict.FAIL, Check.Verdict.INFO);
        assertThat(Check.atLeast("x", 5000, "", 5000).verdict()).isEqualTo(Check.Verdict.PASS);
    }

    @Test
    void print_oneTableWithRowsTargetsAndTotals() {
        StringWriter s = new StringWriter();
        REPORT.print(new PrintWriter(s));

        assertThat(s.toString()).contains("took 1:15", "load average before 0.5 0.4 0.3, after 1.0 0.6 0.4")
                .containsPattern("token +slow +5,000 +5,000 +900 +18,000 +3 +ERRORS")
                .containsPattern("token +> tokens/s +4,999 tokens/s +>= 5,000 tokens/s +FAIL")
                .containsPattern("token +> p99 +20 ms +<= 20 ms +PASS")
                .contains("targets: 1 PASS, 2 FAIL; 3 errors in all rows", "token (token service): a note");
    }

    @Test
    void toJson_unmeasuredIsNullAndTargetsAreNamed() throws Exception {
        JsonNode doc = new ObjectMapper().valueToTree(REPORT.toJson());
        JsonNode suite = doc.path("suites").get(0);

        assertThat(suite.path("rows").get(0).path("p50_us").isNull()).isTrue();
        assertThat(suite.path("rows").get(1).path("p99_us").asDouble()).isEqualTo(18_000);
        assertThat(suite.path("checks").get(0).path("target").path("at_least").asDouble()).isEqualTo(5000);
        assertThat(suite.path("checks").get(2).path("value").isNull()).isTrue();
        assertThat(suite.path("checks").get(3).has("target")).isFalse();
        assertThat(List.of(doc.path("summary").path("pass").asLong(), doc.path("summary").path("fail").asLong(),
                doc.path("summary").path("errors").asLong())).containsExactly(1L, 2L, 3L);
    }

    @Test
    void html_selfContainedWithEscapedLabelsAndALogAxisForWideRanges() {
        String page = HtmlChart.render(REPORT);

        assertThat(page).contains("<svg", "fast &lt;b&gt;&amp;", "logarithmic scale", "class=\"FAIL\"", "class=\"PASS\"")
                .doesNotContain("fast <b>", "<script", "src=", "href=");
    }

    @Test
    void htmlNextTo_replacesTheJsonExtension() {
        assertThat(BenchCommand.htmlNextTo(Path.of("/tmp/r/bench-results.json"))).isEqualTo(Path.of("/tmp/r/bench-results.html"));
        assertThat(BenchCommand.htmlNextTo(Path.of("/tmp/r/out"))).isEqualTo(Path.of("/tmp/r/out.html"));
    }
}
