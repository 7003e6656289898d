package dev.keyline.iam.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small JSON client over java.net.http for the IAM service's API. */
public final class Http {
    public static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
    private final String base;
    private final String bearer;

    /** A client that sends no Authorization header. */
    public Http(String base) {
        this(base, null);
    }

    /** A client that sends {@code Authorization: Bearer <bearer>} with every request (null: none). */
    public Http(String base, String bearer) {
        this.base = base;
        this.bearer = bearer;
    }

    /** The same endpoint with another bearer token (null: none). */
    public Http withBearer(String token) {
        return new Http(base, token);
    }

    /** The same endpoint without a bearer token. */
    public Http anonymous() {
        return new Http(base, null);
    }

    /** A response: status, body parsed as JSON (a text node when it is not JSON), headers. */
    public record Response(int status, JsonNode body, Map<String, java.util.List<String>> headers, String raw) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
                    .map(e -> e.getValue().get(0)).orElse(null);
        }
    }

    public Response get(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return send(b);
    }

    public Response post(String path, String body) {
        return post(path, body, Map.of());
    }

    public Response post(String path, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (bearer != null && headers.keySet().stream().noneMatch(k -> k.equalsIgnoreCase("Authorization"))) {
            b.header("Authorization", "Bearer " + bearer);
        }
        headers.forEach(b::header);
        return send(b);
    }

    public Response post(String path, JsonNode body) {
        try {
            return post(path, JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = client.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = JSON.readTree(r.body());
            } catch (IOException e) {
                body = JSON.getNodeFactory().textNode(r.body());
            }
            return new Response(r.statusCode(), body == null ? JSON.getNodeFactory().missingNode() : body, r.headers().map(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The body of {@code /v1/authorize} for a subject, action and resource, without attributes. */
    public static String authorizeBody(String subjectType, String subjectId, String action, String resourceType, String resourceId) {
        var n = JSON.createObjectNode();
        n.putObject("subject").put("type", subjectType).put("id", subjectId);
        n.put("action", action);
        n.putObject("resource").put("type", resourceType).put("id", resourceId);
        return n.toString();
    }
}
