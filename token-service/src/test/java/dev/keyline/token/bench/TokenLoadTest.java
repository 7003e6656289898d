package dev.keyline.token.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.token.CryptoFixture;
import dev.keyline.token.TokenServerFixture;
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

    @Test
    void run_againstTokenServer_reportsThroughputLatencyAndServerResources() throws Exception {
        try (CryptoFixture crypto = CryptoFixture.start(dir.resolve("crypto"));
                TokenServer server = TokenServerFixture.start(crypto, dir, b -> { })) {
            TokenLoad.Result r = TokenLoad.run(new TokenLoad.Options(URI.create(server.baseUrl() + "/oauth2/token"), "svc",
                    TokenServerFixture.SECRET, 4, Duration.ofSeconds(1), Duration.ofMillis(300), ProcessHandle.current().pid()));
            assertThat(r.errors()).isZero();
            assertThat(r.tokens()).isGreaterThan(50);
            assertThat(r.p99Millis()).isGreaterThanOrEqualTo(r.p50Millis()).isPositive();
            assertThat(r.serverRssBytes()).isPositive();
            assertThat(r.toText()).contains("tokens/s=");

            TokenLoad.Result wrong = TokenLoad.run(new TokenLoad.Options(URI.create(server.baseUrl() + "/oauth2/token"), "svc", "wrong", 1,
                    Duration.ofMillis(200), Duration.ZERO, -1));
            assertThat(wrong.tokens()).isZero();
            assertThat(wrong.errors()).isPositive();
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
