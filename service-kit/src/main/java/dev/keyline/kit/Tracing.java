package dev.keyline.kit;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A span for every request a service answers, exported over OTLP/HTTP (protobuf) when an
 * endpoint is configured, so a caller's trace shows the token or IAM service and the crypto
 * service calls it made. Off by default: then nothing is recorded or sent and a request's W3C
 * trace context passes through unchanged, as before.
 *
 * <p>A server span is the child of the request's {@code traceparent} (when valid), samples as the
 * caller decided (parent-based, always on for a new trace), and is current on the thread that
 * opened it until closed, so the crypto client sends the span's own {@code traceparent} onward and
 * the crypto service's span becomes its child. Spans carry names, kinds and outcomes only, never
 * payloads, tokens or keys; the endpoint's text (which may hold credentials) is not logged.
 */
public final class Tracing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("keyline.error_code");
    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(Headers carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
    private static final ServerSpan NO_SPAN = new ServerSpan() {
        @Override
        public void failed(String errorCode) {
        }

        @Override
        public void close() {
        }
    };
    private static final Tracing OFF = new Tracing(null, null, "off");

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final String description;

    private Tracing(SdkTracerProvider provider, Tracer tracer, String description) {
        this.provider = provider;
        this.tracer = tracer;
        this.description = description;
    }

    /** No spans: requests' trace context passes through unchanged. */
    public static Tracing off() {
        return OFF;
    }

    /**
     * From a setting: empty means {@link #off()}, else the OTLP/HTTP base URL ({@code http://} or
     * {@code https://}, e.g. {@code http://127.0.0.1:4318}) spans are posted to under
     * {@code /v1/traces}.
     *
     * @throws dev.keyline.kit.config.ConfigException naming {@code settingName} when the value is not such a URL
     */
    public static Tracing fromSetting(String settingName, String endpoint, String serviceName) {
        if (endpoint == null || endpoint.isBlank()) {
            return off();
        }
        return otlp(parseEndpoint(settingName, endpoint.strip()), serviceName);
    }

    private static URI parseEndpoint(String settingName, String endpoint) {
        try {
            URI uri = new URI(endpoint);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getQuery() != null
                    || uri.getFragment() != null) {
                throw dev.keyline.kit.config.ConfigException.of("tracing", settingName + ": must be an http:// or https:// URL such as http://127.0.0.1:4318");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw dev.keyline.kit.config.ConfigException.of("tracing", settingName + ": must be an http:// or https:// URL such as http://127.0.0.1:4318");
        }
    }

    /** Spans of {@code serviceName} posted to {@code endpoint}{@code /v1/traces} in batches. */
    private static Tracing otlp(URI endpoint, String serviceName) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(serviceName, "serviceName");
        String base = endpoint.toString().replaceAll("/+$", "");
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces").setTimeout(Duration.ofSeconds(5))
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, serviceName))))
                .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofMillis(500)).build())
                .build();
        LOG.info("tracing on: {} exports spans over OTLP/HTTP to {}://{}:{}", serviceName, endpoint.getScheme(), endpoint.getHost(),
                endpoint.getPort());
        return new Tracing(provider, provider.get("dev.keyline"), "otlp " + endpoint.getScheme() + "://" + endpoint.getHost()
                + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort()));
    }

    public boolean enabled() {
        return provider != null;
    }

    /**
     * Opens a server span named {@code name} for a request whose headers {@code headers} reads
     * ({@code traceparent}, {@code tracestate}; malformed values start a new trace), current on
     * this thread until {@link ServerSpan#close()}, which must run on this thread.
     */
    public ServerSpan serverSpan(String name, Headers headers) {
        if (tracer == null) {
            return NO_SPAN;
        }
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, GETTER);
        Span span = start(name, parent);
        return new Handle(span, parent.with(span).makeCurrent());
    }

    /**
     * Opens a server span like {@link #serverSpan} that is not made current: for transports that
     * finish a request on another thread than the one that received it (gRPC). Close it once, from
     * any thread; a second close does nothing.
     */
    public ServerSpan detachedServerSpan(String name, Headers headers) {
        if (tracer == null) {
            return NO_SPAN;
        }
        return new Handle(start(name, W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, GETTER)), null);
    }

    private Span start(String name, Context parent) {
        return tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.SERVER).startSpan();
    }

    /** A span, and the scope that made it current when there is one; ends once. */
    private static final class Handle implements ServerSpan {
        private final Span span;
        private final Scope scope;
        private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

        Handle(Span span, Scope scope) {
            this.span = span;
            this.scope = scope;
        }

        @Override
        public void failed(String errorCode) {
            span.setStatus(StatusCode.ERROR);
            span.setAttribute(ERROR_CODE, errorCode);
        }

        @Override
        public void close() {
            if (ended.compareAndSet(false, true)) {
                if (scope != null) {
                    scope.close();
                }
                span.end();
            }
        }
    }

    /** Sends what is buffered and stops; spans opened afterwards are dropped. */
    @Override
    public void close() {
        if (provider != null) {
            provider.forceFlush().join(5, TimeUnit.SECONDS);
            provider.shutdown().join(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "Tracing[" + description + "]";
    }

    /** A request's headers, by lower-case name; null when absent. */
    @FunctionalInterface
    public interface Headers {
        String get(String lowerCaseName);
    }

    /** One request's span; close it once, on the thread that opened it. */
    public interface ServerSpan extends AutoCloseable {
        /** Marks the request failed with {@code errorCode} (a Keyline error code, never a message). */
        void failed(String errorCode);

        @Override
        void close();
    }
}
