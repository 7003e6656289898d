package dev.keyline.iam.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The unauthenticated /health says how things are, never where they are (hosts, ports, Redis prefixes); error bodies: http.ErrorDisclosureTest. */
class HealthDisclosureTest {
    @TempDir
    Path dir;

    @Test
    void health_withRedisAndTheCryptoService_namesNoHostPortOrPrefix() {
        try (IamFixture f = IamFixture.start(dir, "health-disclosure")) {
            Http.Response health = f.http.get("/health");

            assertThat(health.status()).isEqualTo(200);
            assertThat(health.body().at("/checks/decision_cache_l2/status").asText()).isEqualTo("UP");
            assertThat(health.raw()).doesNotContain(f.redis.prefix()).doesNotContain("6379").doesNotContain("redis://")
                    .doesNotContain(f.crypto.endpoint()).doesNotContain("127.0.0.1");
        }
    }
}
