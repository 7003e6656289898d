package dev.keyline.token.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.kit.AdminToken;
import dev.keyline.kit.Health;
import dev.keyline.kit.RuntimeFlags;
import dev.keyline.kit.config.ConfigException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The token service's management endpoint, apart from the public API: {@code GET /metrics}
 * (Prometheus) and {@code GET /health}, on its own port (default {@code 127.0.0.1:9080}, as the
 * crypto service keeps them on 9001). Metrics name clients, routes and outcomes, which is not for
 * whoever can reach the token endpoint, so the public port does not serve them.
 *
 * <p>{@code GET /admin/flags} and {@code PUT /admin/flags/{flag}} (body {@code {"value":"local"}})
 * read and switch the run-time feature flags (T11), with {@code Authorization: Bearer} the
 * {@code KEYLINE_TOKEN_ADMIN_TOKEN}; without that setting they answer 404. Each change is audited
 * ({@link RuntimeFlags}) and counted in {@code keyline_token_flag_changes_total{flag,to}}.
 */
public final class ManagementHttp {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern CORRELATION_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private final Javalin app;

    private ManagementHttp(Javalin app) {
        this.app = app;
    }

    /**
     * Starts listening on {@code host:port} (0 = any free port).
     *
     * @throws ConfigException naming the address and its settings when it cannot listen there
     */
    public static ManagementHttp start(String host, int port, PrometheusMeterRegistry meters, Supplier<Health> health,
            RuntimeFlags flags, AdminToken adminToken) {
        Objects.requireNonNull(meters, "meters");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(flags, "flags");
        Objects.requireNonNull(adminToken, "adminToken");
        Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.useVirtualThreads = true;
            c.http.maxRequestSize = 1024;
            c.jetty.modifyHttpConfiguration(h -> h.setSendServerVersion(false));
        });
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(meters.scrape()));
        app.get("/health", ctx -> {
            Health h = health.get();
            ctx.status(h.httpStatus()).header("Cache-Control", "no-store").contentType("application/json")
                    .result(JSON.writeValueAsString(h.toJson()));
        });
        app.get("/admin/flags", ctx -> {
            if (admin(ctx, adminToken)) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("flags", flags.values());
                Map<String, Object> offered = new LinkedHashMap<>();
                flags.values().keySet().forEach(k -> offered.put(k, flags.offered(k)));
                body.put("offered", offered);
                ctx.header("Cache-Control", "no-store").contentType("application/json").result(JSON.writeValueAsString(body));
            }
        });
        app.put("/admin/flags/{flag}", ctx -> {
            if (!admin(ctx, adminToken)) {
                return;
            }
            String value;
            try {
                value = JSON.readTree(ctx.body()).path("value").asText("");
            } catch (java.io.IOException e) {
                value = "";
            }
            if (value.isEmpty()) {
                adminError(ctx, 400, "invalid_request", "the body must be {\"value\": \"...\"}");
                return;
            }
            try {
                RuntimeFlags.Change c = flags.set(ctx.pathParam("flag"), value, "admin-token@" + ctx.ip(), correlationId(ctx));
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("flag", c.flag());
                body.put("from", c.from());
                body.put("to", c.to());
                body.put("correlation_id", c.correlationId());
                ctx.header("Cache-Control", "no-store").contentType("application/json").result(JSON.writeValueAsString(body));
            } catch (RuntimeFlags.FlagException e) {
                switch (e.reason()) {
                    case UNKNOWN_FLAG -> adminError(ctx, 404, "unknown_flag", e.getMessage());
                    case VALUE_NOT_OFFERED -> adminError(ctx, 409, "value_not_offered", e.getMessage());
                }
            }
        });
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            throw cannotListen("KEYLINE_TOKEN_MANAGEMENT_HOST/KEYLINE_TOKEN_MANAGEMENT_PORT (managementHost/managementPort)", host, port, e);
        }
        return new ManagementHttp(app);
    }

    /**
     * Whether the request carries the admin token; otherwise answers it: 404 when no token is
     * configured (the endpoint is off), 401 for a missing or wrong one.
     */
    private static boolean admin(Context ctx, AdminToken token) throws java.io.IOException {
        if (!token.enabled()) {
            adminError(ctx, 404, "not_found", "the admin endpoint is off (KEYLINE_TOKEN_ADMIN_TOKEN is not set)");
            return false;
        }
        if (!token.matches(ctx.header("Authorization"))) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"keyline-token-admin\"");
            adminError(ctx, 401, "unauthorized", "a valid admin bearer token is required");
            return false;
        }
        return true;
    }

    private static void adminError(Context ctx, int status, String error, String description) throws java.io.IOException {
        ctx.status(status).header("Cache-Control", "no-store").contentType("application/json")
                .result(JSON.writeValueAsString(Map.of("error", error, "error_description", description)));
    }

    /** The caller's {@code x-correlation-id} when well formed, else a fresh one; echoed in the answer. */
    private static String correlationId(Context ctx) {
        String given = ctx.header("x-correlation-id");
        String id = given != null && CORRELATION_ID.matcher(given).matches() ? given : java.util.UUID.randomUUID().toString();
        ctx.header("x-correlation-id", id);
        return id;
    }

    /**
     * The configuration error of an address the token service cannot bind (in use, not local):
     * {@code settings} names the variables and fields that chose it.
     */
    static ConfigException cannotListen(String settings, String host, int port, RuntimeException e) {
        return ConfigException.of(dev.keyline.token.server.TokenServerConfig.SUBJECT, settings + ": cannot listen on " + host + ":" + port + ": " + rootMessage(e));
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage());
    }

    public int port() {
        return app.port();
    }

    public void stop() {
        app.stop();
    }
}
