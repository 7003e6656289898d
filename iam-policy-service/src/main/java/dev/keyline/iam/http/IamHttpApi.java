package dev.keyline.iam.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.crypto.client.RequestContext;
import dev.keyline.kit.Tracing;
import dev.keyline.crypto.core.CorrelationIds;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.iam.IamException;
import dev.keyline.iam.auth.BearerAuthenticator;
import dev.keyline.iam.auth.AuthenticatedCaller;
import dev.keyline.iam.authorizer.AuthorizationOutcome;
import dev.keyline.iam.authorizer.Authorizer;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Decision;
import dev.keyline.iam.health.IamHealth;
import dev.keyline.iam.metrics.IamMetrics;
import dev.keyline.iam.policy.PolicySetInfo;
import dev.keyline.iam.policy.ReloadResult;
import dev.keyline.iam.signing.BoundDecisionClaims;
import dev.keyline.iam.signing.Verification;
import dev.keyline.kit.AdminToken;
import dev.keyline.kit.Health;
import dev.keyline.kit.RuntimeFlags;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API (Javalin on virtual threads):
 * <ul>
 *   <li>{@code POST /v1/authorize} — one decision;</li>
 *   <li>{@code POST /v1/authorize/batch} — {@code {"requests":[...]}} → {@code {"results":[...]}}, at
 *       most the configured number of items;</li>
 *   <li>{@code POST /v1/decisions/verify} — a signed decision → {@code {"valid":…, "reason":…}};</li>
 *   <li>{@code GET /v1/decisions/jwks} — the decision-signing public keys, every version that verifies;</li>
 *   <li>{@code GET /v1/policies}, {@code POST /v1/policies/reload} (scope {@code iam:admin}, or the static admin token);</li>
 *   <li>{@code GET /health} (200 when UP or DEGRADED, 503 when DOWN).</li>
 * </ul>
 * The three decision endpoints need a bearer access token of the token service with scope
 * {@code iam:authorize} ({@link BearerAuthenticator}): 401 without a valid one, 403 without the
 * scope. {@code GET /metrics} (Prometheus) is not on this port: {@link #startManagement} serves it
 * on the management port, loopback by default. Request bodies are read with a bound: a body over
 * the limit gets 413 whether it declares its length or is chunked.
 * Errors are {@code {"error":{"code":…,"message":…,"correlation_id":…}}} with the status of
 * {@link #status(IamException.Reason)}, the one place reasons become statuses: a caller's mistake
 * is 400, never 500. Each request runs in a {@link RequestContext} built from its
 * {@code x-correlation-id} (or a fresh one, echoed back), {@code traceparent} and {@code tracestate},
 * so calls to the crypto service carry them.
 */
public final class IamHttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(IamHttpApi.class);
    private static final String CORRELATION_HEADER = "x-correlation-id";
    private static final io.javalin.config.Key<Long> MAX_BODY = new io.javalin.config.Key<>("iam.maxBodyBytes");

    private final Authorizer authorizer;
    private final IamHealth health;
    private final IamMetrics metrics;
    private final Supplier<String> scrape;
    private final BearerAuthenticator auth;
    private final int batchMaxItems;
    private final Tracing tracing;

    public IamHttpApi(Authorizer authorizer, IamHealth health, IamMetrics metrics, Supplier<String> scrape, BearerAuthenticator auth,
            int batchMaxItems, Tracing tracing) {
        this.tracing = Objects.requireNonNull(tracing, "tracing");
        this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
        this.health = Objects.requireNonNull(health, "health");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.scrape = Objects.requireNonNull(scrape, "scrape");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.batchMaxItems = batchMaxItems;
    }

    /** Starts the management server ({@code GET /metrics}) on {@code host:port} (0 = any free port), without admin endpoints. */
    public Javalin startManagement(String host, int port) {
        return startManagement(host, port, RuntimeFlags.builder("iam-policy-service").build(), AdminToken.off());
    }

    /**
     * Starts the management server on {@code host:port} (0 = any free port): {@code GET /metrics},
     * and {@code GET /admin/flags}, {@code PUT /admin/flags/{flag}} (body {@code {"value":"off"}})
     * with {@code Authorization: Bearer} the admin token ({@code KEYLINE_IAM_ADMIN_TOKEN}); without
     * one they answer 404. Each change is audited ({@link RuntimeFlags}) and counted.
     */
    public Javalin startManagement(String host, int port, RuntimeFlags flags, AdminToken adminToken) {
        Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.useVirtualThreads = true;
            c.startupWatcherEnabled = false;
            c.http.prefer405over404 = true;
            c.http.maxRequestSize = 1024;
        });
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(scrape.get()));
        app.get("/admin/flags", in(ctx -> {
            if (!admin(ctx, adminToken)) {
                return;
            }
            ObjectNode out = JsonRequests.JSON.createObjectNode();
            ObjectNode values = out.putObject("flags");
            ObjectNode offered = out.putObject("offered");
            flags.values().forEach((k, v) -> {
                values.put(k, v);
                ArrayNode o = offered.putArray(k);
                flags.offered(k).forEach(o::add);
            });
            ctx.header("Cache-Control", "no-store");
            json(ctx, 200, out);
        }));
        app.put("/admin/flags/{flag}", in(ctx -> {
            if (!admin(ctx, adminToken)) {
                return;
            }
            String value;
            try {
                value = JsonRequests.JSON.readTree(ctx.bodyAsBytes()).path("value").asText("");
            } catch (IOException e) {
                value = "";
            }
            if (value.isEmpty()) {
                error(ctx, 400, "INVALID_ARGUMENT", "the body must be {\"value\": \"...\"}", List.of());
                return;
            }
            try {
                RuntimeFlags.Change c = flags.set(ctx.pathParam("flag"), value, "admin-token@" + ctx.ip(),
                        ctx.res().getHeader(CORRELATION_HEADER));
                ObjectNode out = JsonRequests.JSON.createObjectNode();
                out.put("flag", c.flag()).put("from", c.from()).put("to", c.to()).put("correlation_id", c.correlationId());
                ctx.header("Cache-Control", "no-store");
                json(ctx, 200, out);
            } catch (RuntimeFlags.FlagException e) {
                switch (e.reason()) {
                    case UNKNOWN_FLAG -> error(ctx, 404, "UNKNOWN_FLAG", e.getMessage(), List.of());
                    case VALUE_NOT_OFFERED -> error(ctx, 409, "VALUE_NOT_OFFERED", e.getMessage(), List.of());
                }
            }
        }));
        app.error(404, ctx -> {
            if (ctx.result() == null || !ctx.result().startsWith("{")) {
                error(ctx, 404, "NOT_FOUND", "no such endpoint: " + ctx.method() + " " + ctx.path(), List.of());
            }
        });
        app.start(host, port);
        return app;
    }

    /** Starts the server on {@code host:port} (0 = any free port). */
    public Javalin start(String host, int port, long maxBodyBytes) {
        Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.useVirtualThreads = true;
            c.startupWatcherEnabled = false;
            c.http.maxRequestSize = maxBodyBytes;
            c.appData(MAX_BODY, maxBodyBytes);
            c.http.prefer405over404 = true;
        });
        app.post("/v1/authorize", in(this::authorize));
        app.post("/v1/authorize/batch", in(this::batch));
        app.post("/v1/decisions/verify", in(this::verify));
        app.get("/v1/decisions/jwks", in(this::jwks));
        app.get("/v1/policies", in(this::policies));
        app.post("/v1/policies/reload", in(this::reload));
        app.get("/health", in(this::health));
        app.exception(IamException.class, (e, ctx) -> {
            if (e.reason() == IamException.Reason.UNAUTHENTICATED) {
                ctx.header("WWW-Authenticate", "Bearer realm=\"keyline-iam\", error=\"invalid_token\"");
            }
            json(ctx, status(e.reason()), errorBody(e, correlationId(ctx)));
        });
        app.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), switch (e.getStatus()) {
            case 404 -> "NOT_FOUND";
            case 405 -> "METHOD_NOT_ALLOWED";
            case 413 -> "PAYLOAD_TOO_LARGE";
            default -> "HTTP_" + e.getStatus();
        }, e.getStatus() == 413 ? "the request body is larger than " + maxBody(ctx) + " bytes" : e.getMessage(), List.of()));
        app.exception(Exception.class, (e, ctx) -> {
            String cid = correlationId(ctx);
            LOG.atError().setCause(e).addKeyValue("path", ctx.path()).addKeyValue("correlation_id", cid)
                    .log("unexpected failure answering a request");
            json(ctx, 500, errorBody(IamException.Reason.INTERNAL.name(), serverSideMessage(IamException.Reason.INTERNAL, cid), List.of(), cid));
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || !ctx.result().startsWith("{")) {
                error(ctx, 404, "NOT_FOUND", "no such endpoint: " + ctx.method() + " " + ctx.path(), List.of());
            }
        });
        app.error(405, ctx -> error(ctx, 405, "METHOD_NOT_ALLOWED", ctx.method() + " is not allowed on " + ctx.path(), List.of()));
        app.start(host, port);
        return app;
    }

    private static String maxBody(Context ctx) {
        return String.valueOf(ctx.appData(MAX_BODY));
    }

    /**
     * The JSON error body answering {@code e}: the one place that decides what a caller learns of a
     * failure. The caller's own errors (a bad request, no or a wrong token, a refused policy set)
     * carry their message and problems. A failure of this service or of a dependency
     * ({@code UNAVAILABLE}, {@code INTERNAL}) carries a fixed message per reason and the correlation
     * id; its own message, which may name Redis hosts, ports and key prefixes or crypto endpoints,
     * and its cause go to the service log under that id, as the crypto service's {@code GrpcErrors} does.
     */
    static ObjectNode errorBody(IamException e, String correlationId) {
        return switch (e.reason()) {
            case INVALID_ARGUMENT, PAYLOAD_TOO_LARGE, UNAUTHENTICATED, PERMISSION_DENIED, POLICY_INVALID ->
                    errorBody(e.reason().name(), e.getMessage(), e.problems(), correlationId);
            case UNAVAILABLE, INTERNAL -> {
                // An outage can be triggered per request by anyone (a forged token while the JWKS is unreachable): one
                // line each, with the stack only at DEBUG. A bug (INTERNAL) gets its stack at ERROR.
                boolean bug = e.reason() == IamException.Reason.INTERNAL;
                (bug ? LOG.atError().setCause(e) : LOG.atWarn())
                        .addKeyValue("error_code", e.reason().name()).addKeyValue("correlation_id", correlationId)
                        .log("answering {} for correlation_id={}: {}", e.reason(), correlationId, e.getMessage());
                if (!bug) {
                    LOG.atDebug().setCause(e).addKeyValue("correlation_id", correlationId).log("cause of correlation_id={}", correlationId);
                }
                yield errorBody(e.reason().name(), serverSideMessage(e.reason(), correlationId), List.of(), correlationId);
            }
        };
    }

    /** The fixed text a caller gets for a failure on this side, pointing at the log. */
    private static String serverSideMessage(IamException.Reason reason, String correlationId) {
        String what = reason == IamException.Reason.UNAVAILABLE ? "a service the IAM policy service depends on is unavailable; try again later"
                : "internal error";
        return what + "; details are in the service log under correlation_id=" + correlationId;
    }

    /** The HTTP status of each reason; the only such mapping in the service. */
    static int status(IamException.Reason reason) {
        return switch (reason) {
            case INVALID_ARGUMENT -> 400;
            case PAYLOAD_TOO_LARGE -> 413;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case POLICY_INVALID -> 422;
            case UNAVAILABLE -> 503;
            case INTERNAL -> 500;
        };
    }

    /**
     * Whether the request carries the admin token; otherwise answers it: 404 when no token is
     * configured (the endpoint is off), 401 for a missing or wrong one.
     */
    private static boolean admin(Context ctx, AdminToken token) {
        if (!token.enabled()) {
            error(ctx, 404, "NOT_FOUND", "the admin endpoint is off (KEYLINE_IAM_ADMIN_TOKEN is not set)", List.of());
            return false;
        }
        if (!token.matches(ctx.header("Authorization"))) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"keyline-iam-admin\"");
            error(ctx, 401, "UNAUTHENTICATED", "a valid admin bearer token is required", List.of());
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------------------ handlers

    private void authorize(Context ctx) {
        AuthenticatedCaller caller = caller(ctx, BearerAuthenticator.SCOPE_AUTHORIZE);
        AuthorizationRequest request = JsonRequests.authorization(JsonRequests.parse(body(ctx)), "");
        json(ctx, 200, decisionJson(authorizer.authorize(request, caller.id())));
    }

    private void batch(Context ctx) {
        AuthenticatedCaller caller = caller(ctx, BearerAuthenticator.SCOPE_AUTHORIZE);
        JsonNode body = JsonRequests.parse(body(ctx));
        JsonNode items = body.get("requests");
        if (items == null || !items.isArray()) {
            throw IamException.invalid("requests", "is required: an array of authorization requests");
        }
        if (items.size() > batchMaxItems) {
            throw IamException.invalid("requests", "holds " + items.size() + " items; at most " + batchMaxItems + " per batch");
        }
        // Parse everything first: a batch with one bad item is refused whole, before any decision.
        List<AuthorizationRequest> requests = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            requests.add(JsonRequests.authorization(items.get(i), "requests[" + i + "]"));
        }
        ObjectNode out = JsonRequests.JSON.createObjectNode();
        ArrayNode results = out.putArray("results");
        // One signature for the whole batch: one Sign call to the crypto service, not one per item.
        for (AuthorizationOutcome o : authorizer.authorizeBatch(requests, caller.id())) {
            results.add(decisionJson(o));
        }
        json(ctx, 200, out);
    }

    private void verify(Context ctx) {
        caller(ctx, BearerAuthenticator.SCOPE_AUTHORIZE);
        JsonNode body = JsonRequests.parse(body(ctx));
        var claims = JsonRequests.claims(body);
        String signature = JsonRequests.text(body, "", "signature");
        String keyId = JsonRequests.text(body, "", "key_id");
        var batch = JsonRequests.batchProof(body);
        var signer = authorizer.signer().orElseThrow(() -> new IamException(IamException.Reason.PERMISSION_DENIED,
                "this service has no decision signer (KEYLINE_IAM_CRYPTO_ENABLED=false), so it verifies nothing"));
        Verification v = signer.verify(claims, signature, keyId, batch);
        // The request the verifier holds, when given, must be the one the decision answers.
        if (v.valid() && body.has("request")) {
            if (!(claims instanceof BoundDecisionClaims bound)) {
                v = new Verification.Invalid("REQUEST_MISMATCH", "a format version 1 decision is not bound to a request");
            } else {
                AuthorizationRequest asked = JsonRequests.authorization(body.get("request"), "request");
                if (!MessageDigest.isEqual(BoundDecisionClaims.digest(asked).getBytes(StandardCharsets.US_ASCII),
                        bound.requestDigest().getBytes(StandardCharsets.US_ASCII))) {
                    v = new Verification.Invalid("REQUEST_MISMATCH", "the decision answers another request (types, ids, attributes or context differ)");
                }
            }
        }
        ObjectNode out = JsonRequests.JSON.createObjectNode();
        out.put("valid", v.valid());
        if (v instanceof Verification.Invalid bad) {
            out.put("reason", bad.code());
            out.put("detail", bad.detail());
        } else {
            out.putNull("reason");
        }
        json(ctx, 200, out);
    }

    private void jwks(Context ctx) {
        var signer = authorizer.signer().orElseThrow(() -> new IamException(IamException.Reason.PERMISSION_DENIED,
                "this service has no decision signer (KEYLINE_IAM_CRYPTO_ENABLED=false)"));
        ObjectNode out = JsonRequests.JSON.createObjectNode();
        ArrayNode keys = out.putArray("keys");
        for (String jwk : signer.jwks()) {
            try {
                keys.add(JsonRequests.JSON.readTree(jwk));
            } catch (JsonProcessingException e) {
                throw new IamException(IamException.Reason.INTERNAL, "the crypto service returned a JWK that is not JSON", e);
            }
        }
        ctx.header("Cache-Control", "max-age=60");
        json(ctx, 200, out);
    }

    private void policies(Context ctx) {
        caller(ctx, BearerAuthenticator.SCOPE_ADMIN);
        json(ctx, 200, policiesJson(authorizer.engine().current()));
    }

    private void reload(Context ctx) {
        caller(ctx, BearerAuthenticator.SCOPE_ADMIN);
        ReloadResult r = authorizer.engine().reload();
        ObjectNode out = JsonRequests.JSON.createObjectNode();
        switch (r) {
            case ReloadResult.Loaded l -> {
                metrics.reload("loaded");
                out.put("result", "loaded");
                out.put("previous_version", l.previousVersion());
                out.setAll(policiesJson(l.info()));
                json(ctx, 200, out);
            }
            case ReloadResult.Unchanged u -> {
                metrics.reload("unchanged");
                out.put("result", "unchanged");
                out.setAll(policiesJson(u.info()));
                json(ctx, 200, out);
            }
            case ReloadResult.Refused f -> {
                metrics.reload("refused");
                error(ctx, 422, "POLICY_INVALID", "the policy directory is invalid; version " + f.currentVersion() + " stays in force",
                        f.problems());
            }
        }
    }

    private void health(Context ctx) {
        Health h = health.check();
        json(ctx, h.httpStatus(), JsonRequests.JSON.valueToTree(h.toJson()));
    }

    // ------------------------------------------------------------------------------ helpers

    static ObjectNode decisionJson(AuthorizationOutcome o) {
        Decision d = o.decision();
        ObjectNode n = JsonRequests.JSON.createObjectNode();
        n.put("decision_id", d.decisionId());
        n.put("allowed", d.allowed());
        n.put("policy_name", d.policyName());
        ArrayNode reasons = n.putArray("reasons");
        d.reasons().forEach(reasons::add);
        n.put("timestamp", d.timestamp().toEpochMilli());
        n.put("subject_id", d.subjectId());
        n.put("resource_id", d.resourceId());
        n.put("action", d.action());
        n.put("cached", o.cached());
        BoundDecisionClaims c = o.claims();
        n.put("format", BoundDecisionClaims.FORMAT);
        n.put("caller", c.caller());
        n.put("request_digest", c.requestDigest());
        n.put("iat", c.issuedAt());
        n.put("exp", c.expiresAt());
        o.signed().ifPresent(s -> {
            n.put("signature", s.signatureBase64());
            n.put("key_id", s.keyId().toString());
            s.batch().ifPresent(b -> {
                ObjectNode bn = n.putObject("batch");
                bn.put("index", b.index());
                bn.put("size", b.size());
                ArrayNode path = bn.putArray("path");
                b.pathBase64().forEach(path::add);
            });
        });
        n.put("policy_version", c.policyVersion());
        return n;
    }

    private static ObjectNode policiesJson(PolicySetInfo info) {
        ObjectNode n = JsonRequests.JSON.createObjectNode();
        n.put("version", info.version());
        ArrayNode ids = n.putArray("policies");
        info.policyIds().forEach(ids::add);
        n.put("entities", info.entityCount());
        n.put("schema_validated", info.schemaValidated());
        n.put("loaded_at", info.loadedAt().toString());
        return n;
    }

    /** The authenticated caller of this request, which must hold {@code scope}; 401 or 403 otherwise. */
    private AuthenticatedCaller caller(Context ctx, String scope) {
        try {
            return auth.authenticate(ctx.header("Authorization"), scope);
        } catch (IamException e) {
            if (e.reason() == IamException.Reason.PERMISSION_DENIED) {
                ctx.header("WWW-Authenticate", "Bearer realm=\"keyline-iam\", error=\"insufficient_scope\", scope=\"" + scope + "\"");
            }
            throw e;
        }
    }

    /**
     * The request body, at most the configured limit: 413 beyond it, whether the body declares its
     * length or comes chunked (Javalin checks only a declared Content-Length). Never buffers more
     * than the limit plus one byte.
     */
    private static byte[] body(Context ctx) {
        long max = ctx.appData(MAX_BODY);
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) {
            throw new IamException(IamException.Reason.PAYLOAD_TOO_LARGE, "the request body is larger than " + max + " bytes");
        }
        try {
            byte[] bytes = ctx.req().getInputStream().readNBytes((int) max + 1);
            if (bytes.length > max) {
                throw new IamException(IamException.Reason.PAYLOAD_TOO_LARGE, "the request body is larger than " + max + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new IamException(IamException.Reason.INVALID_ARGUMENT, "cannot read the request body");
        }
    }

    /** Wraps a handler in the request's {@link RequestContext}. */
    private Handler in(Handler h) {
        return ctx -> {
            String cid = ctx.header(CORRELATION_HEADER);
            if (!CorrelationIds.isValid(cid)) {
                cid = CorrelationIds.newId();
            }
            ctx.header(CORRELATION_HEADER, cid);
            RequestContext rc = RequestContext.of(cid);
            String tp = ctx.header("traceparent");
            if (tp != null) {
                try {
                    rc = rc.withTrace(tp, Objects.requireNonNullElse(ctx.header("tracestate"), ""));
                } catch (CryptoException e) {
                    // A malformed trace context is dropped, not an error: the request is still answered.
                }
            }
            RequestContext.Scope scope = RequestContext.with(rc);
            // The span is current while the handler runs, so the crypto client sends it on as the parent.
            try (Tracing.ServerSpan span = tracing.serverSpan(ctx.method().name() + " " + ctx.path(), ctx::header)) {
                try {
                    h.handle(ctx);
                } catch (IamException e) {
                    span.failed(e.reason().name());
                    throw e;
                }
            } finally {
                scope.close();
            }
        };
    }

    private static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType("application/json").result(JsonRequests.JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a response", e);
        }
    }

    private static void error(Context ctx, int status, String code, String message, List<String> problems) {
        json(ctx, status, errorBody(code, message, problems, ctx.res().getHeader(CORRELATION_HEADER)));
    }

    private static ObjectNode errorBody(String code, String message, List<String> problems, String correlationId) {
        ObjectNode n = JsonRequests.JSON.createObjectNode();
        ObjectNode e = n.putObject("error");
        e.put("code", code);
        e.put("message", message == null ? "" : message);
        if (!problems.isEmpty()) {
            ArrayNode p = e.putArray("problems");
            problems.forEach(p::add);
        }
        if (correlationId != null) {
            e.put("correlation_id", correlationId);
        }
        return n;
    }

    /** The request's correlation id (set by {@link #in}); a fresh one, echoed back, when the failure came before it. */
    private static String correlationId(Context ctx) {
        String cid = ctx.res().getHeader(CORRELATION_HEADER);
        if (cid == null) {
            cid = CorrelationIds.newId();
            ctx.header(CORRELATION_HEADER, cid);
        }
        return cid;
    }
}
