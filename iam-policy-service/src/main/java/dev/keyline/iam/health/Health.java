package dev.keyline.iam.health;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The service's health: one status per check and the worst of them overall.
 *
 * @param checks by name, in report order
 */
public record Health(Status status, Map<String, Check> checks) {
    /** Best first. */
    public enum Status { UP, DEGRADED, DOWN }

    /** One dependency's state and a line for operators (never secret). */
    public record Check(Status status, String detail) {
        public Check {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(detail, "detail");
        }
    }

    public Health {
        Objects.requireNonNull(status, "status");
        checks = Collections.unmodifiableMap(new LinkedHashMap<>(checks));
    }

    /** The health whose status is the worst of {@code checks}. */
    public static Health of(Map<String, Check> checks) {
        Status worst = Status.UP;
        for (Check c : checks.values()) {
            if (c.status().compareTo(worst) > 0) {
                worst = c.status();
            }
        }
        return new Health(worst, checks);
    }
}
