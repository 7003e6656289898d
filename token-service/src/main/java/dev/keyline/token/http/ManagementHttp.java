package dev.keyline.token.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.core.CryptoException;
import io.javalin.Javalin;
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
 */
public final class ManagementHttp {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Javalin app;

    private ManagementHttp(Javalin app) {
        this.app = app;
    }

    /**
     * Starts listening on {@code host:port} (0 = any free port).
     *
     * @throws CryptoException {@code INVALID_CONFIG} naming the address when it cannot listen there
     */
    public static ManagementHttp start(String host, int port, PrometheusMeterRegistry meters, Supplier<TokenHttpApi.Health> health) {
        Objects.requireNonNull(meters, "meters");
        Objects.requireNonNull(health, "health");
        Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.useVirtualThreads = true;
            c.http.maxRequestSize = 1024;
            c.jetty.modifyHttpConfiguration(h -> h.setSendServerVersion(false));
        });
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(meters.scrape()));
        app.get("/health", ctx -> {
            TokenHttpApi.Health h = health.get();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", h.status());
            body.put("checks", h.checks());
            ctx.status(h.status().equals("DOWN") ? 503 : 200).header("Cache-Control", "no-store").contentType("application/json")
                    .result(JSON.writeValueAsString(body));
        });
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            throw new CryptoException(CryptoException.Reason.INVALID_CONFIG, "cannot listen on " + host + ":" + port
                    + " (the token service's management port, KEYLINE_TOKEN_MANAGEMENT_HOST/PORT): " + rootMessage(e));
        }
        return new ManagementHttp(app);
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
