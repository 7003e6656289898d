package dev.keyline.crypto.service.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A health report: overall UP, DEGRADED or DOWN, and each check's own status and detail.
 * DOWN when a check the service cannot work without fails; DEGRADED when it still works.
 */
public record Health(Status status, Map<String, Check> checks) {
    /** Overall and per-check status, best first. */
    public enum Status { UP, DEGRADED, DOWN }

    /** One check. */
    public record Check(Status status, String detail) { }

    public Health {
        checks = Map.copyOf(checks);
    }

    public static Health of(Map<String, Check> checks) {
        Status worst = Status.UP;
        for (Check c : checks.values()) {
            if (c.status.ordinal() > worst.ordinal()) {
                worst = c.status;
            }
        }
        return new Health(worst, new LinkedHashMap<>(checks));
    }

    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", status.name());
        Map<String, Object> cs = new LinkedHashMap<>();
        checks.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Map<String, String> c = new LinkedHashMap<>();
            c.put("status", e.getValue().status().name());
            c.put("detail", e.getValue().detail());
            cs.put(e.getKey(), c);
        });
        out.put("checks", cs);
        return out;
    }
}
