package dev.keyline.token.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.crypto.client.RequestContext;
import dev.keyline.kit.Health;
import dev.keyline.kit.Tracing;
import dev.keyline.crypto.core.CorrelationIds;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientRegistry;
import dev.keyline.token.families.FamilyException;
import dev.keyline.token.jwks.Jwks;
import dev.keyline.token.oauth.ClientAuthentication;
import dev.keyline.token.oauth.OAuthError;
import dev.keyline.token.oauth.OAuthException;
import dev.keyline.token.oauth.SessionRequest;
import dev.keyline.token.oauth.TokenEndpoint;
import dev.keyline.token.oauth.TokenResponse;
import dev.keyline.token.storage.StorageIntegrityException;
import dev.keyline.token.storage.StorageUnavailableException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token service's HTTP edge (Javalin on virtual threads): routes, form and JSON parsing,
 * client authentication headers, and the one place where failures become RFC 6749 §5.2 error
 * responses. Caller mistakes are always 4xx; a dependency that is down is 503
 * {@code temporarily_unavailable}; only a bug is 500 {@code server_error}.
 */
public final class TokenHttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(TokenHttpApi.class);
    /**
     * Buffers come from a shared pool rather than Jackson's default thread-local one, which
     * gives every virtual thread (one per request) fresh buffers.
     */
    private static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.newConcurrentDequePool()).build());
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };
    private static final String FORM = "application/x-www-form-urlencoded";

    /** What the routes need. */
    public record Routes(TokenEndpoint endpoint, ClientRegistry clients, Jwks jwks, String issuer, Supplier<Health> health,
            PrometheusMeterRegistry meters) { }

    private volatile Routes routes;
    private final Javalin app;
    private final MeterRegistry meters;
    private final Map<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();
    private final int maxRequestBytes;
    private final Tracing tracing;

    private TokenHttpApi(MeterRegistry meters, String host, int port, int maxRequestBytes, Tracing tracing) {
        this.meters = meters;
        this.tracing = tracing;
        this.maxRequestBytes = maxRequestBytes;
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.useVirtualThreads = true;
            c.http.maxRequestSize = maxRequestBytes;
            c.http.prefer405over404 = true;
            // Token responses are a few hundred bytes: compressing them costs more CPU than it saves.
            c.http.disableCompression();
            c.jetty.modifyHttpConfiguration(h -> {
                h.setRequestHeaderSize(16 * 1024);
                h.setSendServerVersion(false);
            });
        });
        app.before(ctx -> {
            if (routes == null) {
                throw new OAuthException(OAuthError.TEMPORARILY_UNAVAILABLE, "starting");
            }
        });
        app.post("/oauth2/token", ctx -> handle(ctx, "token", () -> token(ctx)));
        app.post("/v1/sessions", ctx -> handle(ctx, "sessions", () -> sessions(ctx)));
        app.post("/oauth2/introspect", ctx -> handle(ctx, "introspect", () -> introspect(ctx)));
        app.post("/oauth2/revoke", ctx -> handle(ctx, "revoke", () -> revoke(ctx)));
        app.get("/.well-known/jwks.json", ctx -> {
            ctx.header("Cache-Control", "public, max-age=" + routes.jwks().maxAge().toSeconds());
            ctx.contentType("application/jwk-set+json").result(routes.jwks().json());
        });
        app.get("/.well-known/oauth-authorization-server", ctx -> {
            ctx.header("Cache-Control", "public, max-age=3600");
            ctx.contentType("application/json").result(JSON.writeValueAsString(metadata()));
        });
        app.get("/health", ctx -> {
            Health h = routes.health().get();
            ctx.status(h.httpStatus()).header("Cache-Control", "no-store").contentType("application/json")
                    .result(JSON.writeValueAsString(h.toJson()));
        });
        // No /metrics here: the management port (ManagementHttp) serves it, apart from the public API.
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, map(e)));
        app.exception(Exception.class, (e, ctx) -> error(ctx, map(e)));
        app.error(404, ctx -> error(ctx, new OAuthException(OAuthError.NOT_FOUND, "no such endpoint")));
        app.error(405, ctx -> error(ctx, new OAuthException(OAuthError.METHOD_NOT_ALLOWED, "method not allowed")));
        app.error(413, ctx -> error(ctx, new OAuthException(OAuthError.REQUEST_TOO_LARGE, "request body too large")));
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            throw ManagementHttp.cannotListen("KEYLINE_TOKEN_HTTP_HOST/KEYLINE_TOKEN_HTTP_PORT (httpHost/httpPort)", host, port, e);
        }
    }

    /**
     * Starts listening on {@code host:port} (0 = any free port), then serves the routes
     * {@code routesForPort} builds for the port it got (the issuer URL may depend on it); requests
     * before that are answered 503.
     *
     * @throws dev.keyline.kit.config.ConfigException naming the address and its settings when it cannot listen there
     */
    public static TokenHttpApi start(String host, int port, int maxRequestBytes, MeterRegistry meters, Tracing tracing,
            java.util.function.IntFunction<Routes> routesForPort) {
        TokenHttpApi api = new TokenHttpApi(meters, host, port, maxRequestBytes, java.util.Objects.requireNonNull(tracing, "tracing"));
        try {
            api.routes = routesForPort.apply(api.port());
        } catch (RuntimeException e) {
            api.stop();
            throw e;
        }
        return api;
    }

    public int port() {
        return app.port();
    }

    public void stop() {
        app.stop();
    }

    // ------------------------------------------------------------------------------------ routes

    private Map<String, Object> token(Context ctx) {
        Map<String, String> form = form(ctx);
        String grant = form.get("grant_type");
        if (grant == null) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "grant_type is required");
        }
        Client client = ClientAuthentication.authenticate(routes.clients(), Optional.ofNullable(ctx.header("Authorization")), form);
        TokenResponse r = switch (grant) {
            case "client_credentials" -> routes.endpoint().clientCredentials(client, Optional.ofNullable(form.get("scope")));
            case "refresh_token" -> routes.endpoint().refresh(client, form.get("refresh_token"), Optional.ofNullable(form.get("scope")));
            default -> throw new OAuthException(OAuthError.UNSUPPORTED_GRANT_TYPE, "grant_type " + Forms.safe(grant) + " is not supported");
        };
        ctx.header("Cache-Control", "no-store").header("Pragma", "no-cache");
        return r.toJson();
    }

    private Map<String, Object> sessions(Context ctx) {
        String type = Optional.ofNullable(ctx.contentType()).orElse("").toLowerCase(Locale.ROOT);
        if (!type.startsWith("application/json")) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "Content-Type must be application/json");
        }
        Client caller = ClientAuthentication.authenticate(routes.clients(), Optional.ofNullable(ctx.header("Authorization")), Map.of());
        JsonNode body;
        try {
            body = JSON.readTree(body(ctx));
        } catch (IOException e) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "body is not JSON");
        }
        if (body == null || !body.isObject()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "body must be a JSON object");
        }
        JsonNode subject = body.get("subject");
        if (subject == null || !subject.isTextual()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "subject is required");
        }
        JsonNode clientId = body.get("client_id");
        if (clientId != null && !clientId.isTextual()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "client_id must be a string");
        }
        JsonNode scope = body.get("scope");
        if (scope != null && !scope.isTextual()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "scope must be a space-separated string");
        }
        List<String> audience = new ArrayList<>();
        JsonNode aud = body.get("audience");
        if (aud != null && aud.isTextual()) {
            audience.add(aud.asText());
        } else if (aud != null && aud.isArray()) {
            for (JsonNode a : aud) {
                if (!a.isTextual()) {
                    throw new OAuthException(OAuthError.INVALID_REQUEST, "audience must be a string or a list of strings");
                }
                audience.add(a.asText());
            }
        } else if (aud != null && !aud.isNull()) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "audience must be a string or a list of strings");
        }
        JsonNode claims = body.get("claims");
        Map<String, Object> extra = Map.of();
        if (claims != null && !claims.isNull()) {
            if (!claims.isObject()) {
                throw new OAuthException(OAuthError.INVALID_REQUEST, "claims must be a JSON object");
            }
            extra = JSON.convertValue(claims, MAP);
        }
        TokenResponse r = routes.endpoint().startSession(caller, new SessionRequest(subject.asText(),
                Optional.ofNullable(clientId).map(JsonNode::asText), scope == null ? "" : scope.asText(), audience, extra));
        ctx.status(201).header("Cache-Control", "no-store").header("Pragma", "no-cache");
        return r.toJson();
    }

    private Map<String, Object> introspect(Context ctx) {
        Map<String, String> form = form(ctx);
        Client caller = ClientAuthentication.authenticate(routes.clients(), Optional.ofNullable(ctx.header("Authorization")), form);
        ctx.header("Cache-Control", "no-store");
        return routes.endpoint().introspect(caller, form.get("token"), Optional.ofNullable(form.get("token_type_hint")));
    }

    private Map<String, Object> revoke(Context ctx) {
        Map<String, String> form = form(ctx);
        Client caller = ClientAuthentication.authenticate(routes.clients(), Optional.ofNullable(ctx.header("Authorization")), form);
        routes.endpoint().revoke(caller, form.get("token"), Optional.ofNullable(form.get("token_type_hint")));
        return Map.of();
    }

    private Map<String, Object> metadata() {
        String base = routes.issuer();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("issuer", base);
        m.put("token_endpoint", base + "/oauth2/token");
        m.put("jwks_uri", base + "/.well-known/jwks.json");
        m.put("introspection_endpoint", base + "/oauth2/introspect");
        m.put("revocation_endpoint", base + "/oauth2/revoke");
        m.put("grant_types_supported", List.of("client_credentials", "refresh_token"));
        m.put("response_types_supported", List.of());
        m.put("token_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post"));
        m.put("introspection_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post"));
        m.put("revocation_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post"));
        return m;
    }

    // ------------------------------------------------------------------------- request plumbing

    private Map<String, String> form(Context ctx) {
        String type = Optional.ofNullable(ctx.contentType()).orElse("").toLowerCase(Locale.ROOT);
        if (!type.startsWith(FORM)) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "Content-Type must be " + FORM);
        }
        return Forms.parse(body(ctx));
    }

    /**
     * The request body as UTF-8, at most {@code maxRequestBytes} ({@code request_too_large}
     * beyond). Read straight into an array of the declared length: Javalin's {@code ctx.body()}
     * copies through a fresh 8 KiB buffer per request, most of the garbage of a token request.
     * Call once per request.
     */
    private String body(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxRequestBytes) {
            throw new OAuthException(OAuthError.REQUEST_TOO_LARGE, "request body too large");
        }
        try {
            java.io.InputStream in = ctx.req().getInputStream();
            byte[] bytes;
            if (declared >= 0) {
                bytes = new byte[(int) declared];
                if (in.readNBytes(bytes, 0, bytes.length) != bytes.length) {
                    throw new OAuthException(OAuthError.INVALID_REQUEST, "request body is shorter than its Content-Length");
                }
            } else {
                bytes = in.readNBytes(maxRequestBytes + 1);
                if (bytes.length > maxRequestBytes) {
                    throw new OAuthException(OAuthError.REQUEST_TOO_LARGE, "request body too large");
                }
            }
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OAuthException(OAuthError.INVALID_REQUEST, "could not read the request body");
        }
    }

    /**
     * Writes {@code value} as the JSON response straight to the servlet stream with its length
     * (Javalin's {@code result()} would copy it through another fresh 8 KiB buffer).
     */
    private static void writeJson(Context ctx, Object value) throws IOException {
        byte[] json = JSON.writeValueAsBytes(value);
        ctx.contentType("application/json");
        ctx.res().setContentLength(json.length);
        ctx.res().getOutputStream().write(json);
    }

    private void handle(Context ctx, String route, Supplier<Map<String, Object>> body) {
        long start = System.nanoTime();
        RequestContext rc = requestContext(ctx);
        ctx.header("X-Correlation-Id", rc.correlationId());
        // The span is current while the route runs, so the crypto client sends it on as the parent.
        try (Tracing.ServerSpan span = tracing.serverSpan("POST " + ctx.path(), ctx::header)) {
            handleTraced(ctx, route, rc, body, span);
        } finally {
            timers.computeIfAbsent(route + " " + ctx.statusCode(), k -> Timer.builder("keyline_token_http_requests")
                    .description("HTTP requests of the token API by route and status").tag("route", route)
                    .tag("status", Integer.toString(ctx.statusCode())).register(meters))
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    private void handleTraced(Context ctx, String route, RequestContext rc, Supplier<Map<String, Object>> body, Tracing.ServerSpan span) {
        try {
            Map<String, Object> result = RequestContext.call(rc, body);
            writeJson(ctx, result);
        } catch (JsonProcessingException e) {
            error(ctx, new OAuthException(OAuthError.SERVER_ERROR, "cannot write the response", e));
        } catch (IOException e) {
            // The client went away while the answer was written: nothing left to tell it.
            LOG.debug("could not write the response of {}: {}", route, e.getMessage());
        } catch (RuntimeException e) {
            OAuthException oe = map(e);
            span.failed(oe.error().code());
            error(ctx, oe);
        }
    }

    private static RequestContext requestContext(Context ctx) {
        String cid = ctx.header("X-Correlation-Id");
        String traceparent = ctx.header("traceparent");
        String tracestate = ctx.header("tracestate");
        RequestContext rc = RequestContext.of(CorrelationIds.isValid(cid) ? cid : CorrelationIds.newId());
        if (traceparent != null) {
            try {
                rc = rc.withTrace(traceparent, tracestate == null ? "" : tracestate);
            } catch (CryptoException e) {
                // A malformed trace context is dropped, as W3C Trace Context says, not an error.
            }
        }
        return rc;
    }

    /** Every failure to its RFC 6749 error: the one place this mapping lives. */
    private static OAuthException map(Exception e) {
        return switch (e) {
            case OAuthException o -> o;
            case FamilyException f -> f.reason() == FamilyException.Reason.CONTENDED
                    ? new OAuthException(OAuthError.TEMPORARILY_UNAVAILABLE, f.getMessage())
                    : new OAuthException(OAuthError.INVALID_GRANT, "the refresh token is invalid, expired, revoked or was already used");
            case CryptoException c when c.reason() == CryptoException.Reason.RATE_LIMITED -> {
                // T14: refused by this service's own limiter before any RPC; not a fault of the crypto service.
                LOG.atWarn().addKeyValue("error_code", c.reason().name()).addKeyValue("correlation_id", c.correlationId())
                        .log("crypto-service call refused by the client rate limiter (KEYLINE_TOKEN_CRYPTO_RATE_LIMIT)");
                yield new OAuthException(OAuthError.TEMPORARILY_UNAVAILABLE, "rate limited: too many signing or encryption calls; retry later");
            }
            case CryptoException c -> {
                LOG.atError().addKeyValue("error_code", c.reason().name()).addKeyValue("correlation_id", c.correlationId())
                        .log("crypto operation failed while serving a request: {}", c.getMessage());
                yield new OAuthException(OAuthError.TEMPORARILY_UNAVAILABLE, "signing or encryption is unavailable; retry later");
            }
            case StorageIntegrityException s -> {
                LOG.atError().log("a stored entry failed its integrity check while serving a request: {}", s.getMessage());
                yield new OAuthException(OAuthError.SERVER_ERROR, "internal error");
            }
            case StorageUnavailableException s -> {
                LOG.atError().log("token storage failed while serving a request: {}", s.getMessage());
                yield new OAuthException(OAuthError.TEMPORARILY_UNAVAILABLE, "token storage is unavailable; retry later");
            }
            case HttpResponseException h -> switch (h.getStatus()) {
                case 404 -> new OAuthException(OAuthError.NOT_FOUND, "no such endpoint");
                case 405 -> new OAuthException(OAuthError.METHOD_NOT_ALLOWED, "method not allowed");
                case 413 -> new OAuthException(OAuthError.REQUEST_TOO_LARGE, "request body too large");
                default -> new OAuthException(OAuthError.INVALID_REQUEST, "bad request");
            };
            default -> {
                LOG.error("unexpected failure while serving a request", e);
                yield new OAuthException(OAuthError.SERVER_ERROR, "internal error");
            }
        };
    }

    private static void error(Context ctx, OAuthException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.error().code());
        body.put("error_description", e.description());
        ctx.status(e.error().httpStatus()).header("Cache-Control", "no-store").header("Pragma", "no-cache");
        if (e.error() == OAuthError.INVALID_CLIENT) {
            ctx.header("WWW-Authenticate", "Basic realm=\"keyline\", charset=\"UTF-8\"");
        }
        try {
            ctx.contentType("application/json").result(JSON.writeValueAsString(body));
        } catch (JsonProcessingException ex) {
            ctx.contentType("application/json").result("{\"error\":\"server_error\"}");
        }
    }
}
