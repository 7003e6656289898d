package dev.keyline.platform.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.server.TokenServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load generator against a real token server, briefly: it counts tokens, latencies and the server's resources. */
class TokenLoadTest {
    @TempDir
    Path dir;

    /*
     * Nothing here depends on how fast the machine is: a busy 2-core CI box may answer no request
     * inside the measured second, so the test asserts what the loop must report whatever the
     * speed (every connection answered at least once, counts and percentiles consistent, the run
     * ends near its deadline), never that a throughput or latency is above zero.
     */
    @Test
    void run_againstTokenServer_reportsConsistentCountsAndServerResources() throws Exception {
        try (CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
                TokenServer server = TokenServer.start(TokenServers.config(crypto, dir).build())) {
            long started = System.nanoTime();
            TokenLoad.Result r = TokenLoad.run(new TokenLoad.Options(URI.create(server.baseUrl() + "/oauth2/token"), TokenServers.CLIENT,
                    TokenServers.SECRET, 4, Duration.ofSeconds(1), Duration.ofMillis(300), ProcessHandle.current().pid()));
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(r.errors()).isZero();
            assertThat(r.answered()).as("each connection sends at least one request").isGreaterThanOrEqualTo(4);
            assertThat(r.tokens()).isBetween(0L, r.answered());
            assertThat(r.seconds()).isEqualTo(1.0);
            assertThat(r.tokensPerSecond()).isEqualTo(r.tokens() / r.seconds());
            assertThat(r.p50Millis()).isNotNegative();
            assertThat(r.p99Millis()).isGreaterThanOrEqualTo(r.p50Millis());
            assertThat(r.maxMillis()).isGreaterThanOrEqualTo(r.p99Millis());
            if (r.tokens() == 0) {
                assertThat(r.maxMillis()).isZero();
            } else {
                assertThat(r.maxMillis()).isPositive();
            }
            assertThat(r.serverRssBytes()).as("read from /proc, not timed").isPositive();
            // Workers stop at the deadline; only a request in flight (bounded by the 30 s read timeout) may overrun.
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1300)).isLessThan(Duration.ofSeconds(40));
            assertThat(r.toText()).contains("tokens=" + r.tokens() + " errors=0").contains("tokens/s=").contains("server_rss_mb=");

            TokenLoad.Result wrong = TokenLoad.run(new TokenLoad.Options(URI.create(server.baseUrl() + "/oauth2/token"), TokenServers.CLIENT, "wrong", 1,
                    Duration.ofMillis(200), Duration.ZERO, -1));
            assertThat(wrong.tokens()).isZero();
            assertThat(wrong.errors()).as("at least the one request every connection sends").isPositive().isGreaterThanOrEqualTo(wrong.answered());
            assertThat(wrong.serverRssBytes()).isEqualTo(-1);
            assertThat(wrong.serverCpuSecondsPer1000()).isEqualTo(-1);
        }
    }

    @Test
    void options_invalid_areRejected() {
        assertThatThrownBy(() -> new TokenLoad.Options(URI.create("https://x/token"), "a", "b", 1, Duration.ofSeconds(1), Duration.ZERO, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenLoad.Options(URI.create("http://x/token"), "a", "b", 0, Duration.ofSeconds(1), Duration.ZERO, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
