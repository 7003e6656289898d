package dev.keyline.kit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A service's health, the same shape for all three: the worst status of its checks, and each
 * check's status, a line for operators and optional attributes. Served as JSON on {@code /health}
 * (see {@link #toJson()}): HTTP 200 when UP or DEGRADED, 503 when DOWN ({@link #httpStatus()}).
 * Health endpoints are unauthenticated: details and attributes name states and counts, never
 * hosts, paths, secrets or a dependency's error text.
 *
 * @param checks by name, in report order
 */
public record Health(Status status, Map<String, Check> checks) {
    /** Best first: UP works fully; DEGRADED works with a fallback or less; DOWN cannot serve. */
    public enum Status { UP, DEGRADED, DOWN }

    /**
     * One dependency or part of the service.
     *
     * @param attributes extra facts for operators (strings, numbers, booleans), in report order
     */
    public record Check(Status status, String detail, Map<String, Object> attributes) {
        public Check {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(detail, "detail");
            attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        }

        public Check(Status status, String detail) {
            this(status, detail, Map.of());
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

    /** 503 when DOWN (a load balancer takes the replica out), else 200. */
    public int httpStatus() {
        return status == Status.DOWN ? 503 : 200;
    }

    /**
     * {@code {"status": "UP", "checks": {"name": {"status": "UP", "detail": "...", <attributes>}}}},
     * checks in report order, as maps a JSON writer serializes directly.
     */
    public Map<String, Object> toJson() {
        Map<String, Object> cs = new LinkedHashMap<>();
        checks.forEach((name, c) -> {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("status", c.status().name());
            one.put("detail", c.detail());
            c.attributes().forEach(one::putIfAbsent);
            cs.put(name, one);
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", status.name());
        out.put("checks", cs);
        return out;
    }
}
