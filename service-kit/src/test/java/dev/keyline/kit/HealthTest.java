package dev.keyline.kit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.kit.Health.Check;
import dev.keyline.kit.Health.Status;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HealthTest {
    @Test
    void of_everyCombinationOfTwoChecks_isTheWorstAndDownIs503() {
        for (Status a : Status.values()) {
            for (Status b : Status.values()) {
                Health h = Health.of(Map.of("a", new Check(a, ""), "b", new Check(b, "")));
                Status worst = a.compareTo(b) >= 0 ? a : b;
                assertThat(h.status()).isEqualTo(worst);
                assertThat(h.httpStatus()).isEqualTo(worst == Status.DOWN ? 503 : 200);
            }
        }
        assertThat(Health.of(Map.of()).status()).isEqualTo(Status.UP);
    }

    @Test
    void toJson_keepsReportOrder_andPutsAttributesAfterStatusAndDetail() {
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("storage", new Check(Status.DOWN, "does not answer", Map.of("kind", "redis")));
        checks.put("crypto_service", new Check(Status.DEGRADED, "unavailable", Map.of("status", "UP", "fallback", true)));
        Map<String, Object> json = Health.of(checks).toJson();
        assertThat(json).containsEntry("status", "DOWN");
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> cs = (Map<String, Map<String, Object>>) json.get("checks");
        assertThat(List.copyOf(cs.keySet())).containsExactly("storage", "crypto_service");
        assertThat(cs.get("storage")).containsExactly(Map.entry("status", "DOWN"), Map.entry("detail", "does not answer"),
                Map.entry("kind", "redis"));
        // An attribute cannot overwrite the check's own status.
        assertThat(cs.get("crypto_service")).containsEntry("status", "DEGRADED").containsEntry("fallback", true);
    }
}
