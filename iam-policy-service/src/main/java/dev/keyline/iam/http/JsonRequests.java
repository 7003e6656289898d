package dev.keyline.iam.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.iam.IamException;
import dev.keyline.iam.decision.AttributeValue;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.CanonicalBytes;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.signing.BatchProof;
import dev.keyline.iam.signing.BoundDecisionClaims;
import dev.keyline.iam.signing.DecisionClaims;
import dev.keyline.iam.signing.SignedClaims;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads request bodies into domain values. Every problem is {@code INVALID_ARGUMENT} naming the
 * JSON path of the offending field ({@code requests[2].subject.id: is required}).
 */
final class JsonRequests {
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    private static final int MAX_DEPTH = 16;

    private JsonRequests() {
    }

    static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new IamException(IamException.Reason.INVALID_ARGUMENT, "the request body is empty; send a JSON object");
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw new IamException(IamException.Reason.INVALID_ARGUMENT, "the request body must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new IamException(IamException.Reason.INVALID_ARGUMENT, "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IamException(IamException.Reason.INVALID_ARGUMENT, "cannot read the request body: " + e.getMessage());
        }
    }

    /** {@code {subject:{type,id,attributes}, action, resource:{type,id,attributes}, context:{}}}. */
    static AuthorizationRequest authorization(JsonNode n, String path) {
        object(n, path);
        RequestEntity subject = entity(n.get("subject"), join(path, "subject"));
        String action = text(n, path, "action");
        RequestEntity resource = entity(n.get("resource"), join(path, "resource"));
        Map<String, AttributeValue> context = n.has("context") ? record(n.get("context"), join(path, "context"), 1) : Map.of();
        try {
            return new AuthorizationRequest(subject, action, resource, context);
        } catch (IllegalArgumentException e) {
            throw IamException.invalid(join(path, "action"), e.getMessage());
        }
    }

    /**
     * The claims of a signed decision as {@code /v1/authorize} returned it: format version 2 when
     * {@code format} is {@code keyline-decision-v2}, version 1 (the seven seed fields) when there is
     * no {@code format}.
     */
    static SignedClaims claims(JsonNode n) {
        JsonNode ts = n.get("timestamp");
        if (ts == null || !ts.isIntegralNumber() || !ts.canConvertToLong()) {
            throw IamException.invalid("timestamp", "is required and must be an integer (Unix milliseconds)");
        }
        JsonNode allowed = n.get("allowed");
        if (allowed == null || !allowed.isBoolean()) {
            throw IamException.invalid("allowed", "is required and must be true or false");
        }
        DecisionClaims seed;
        try {
            seed = new DecisionClaims(ts.asLong(), text(n, "", "decision_id"), text(n, "", "subject_id"), text(n, "", "resource_id"),
                    text(n, "", "action"), allowed.asBoolean(), text(n, "", "policy_name"));
        } catch (IllegalArgumentException e) {
            throw IamException.invalid("timestamp", e.getMessage());
        }
        JsonNode format = n.get("format");
        if (format == null || format.isNull()) {
            return seed;
        }
        if (!BoundDecisionClaims.FORMAT.equals(format.asText()) || !format.isTextual()) {
            throw IamException.invalid("format", "must be " + BoundDecisionClaims.FORMAT + " (or absent for format version 1)");
        }
        try {
            return new BoundDecisionClaims(seed, text(n, "", "caller"), text(n, "", "policy_version"), text(n, "", "request_digest"),
                    integer(n, "iat"), integer(n, "exp"));
        } catch (IllegalArgumentException e) {
            throw IamException.invalid("request_digest", e.getMessage());
        }
    }

    /** The {@code batch} member of a decision signed in a batch: {@code {"index":i,"size":n,"path":[...]}}. */
    static Optional<BatchProof> batchProof(JsonNode n) {
        JsonNode b = n.get("batch");
        if (b == null || b.isNull()) {
            return Optional.empty();
        }
        object(b, "batch");
        JsonNode path = b.get("path");
        if (path == null || !path.isArray() || path.size() > 64) {
            throw IamException.invalid("batch.path", "is required: an array of at most 64 base64url hashes");
        }
        List<byte[]> hashes = new ArrayList<>();
        for (JsonNode h : path) {
            if (!h.isTextual()) {
                throw IamException.invalid("batch.path", "must hold strings");
            }
            try {
                hashes.add(Base64.getUrlDecoder().decode(h.asText()));
            } catch (IllegalArgumentException e) {
                throw IamException.invalid("batch.path", "holds a value that is not base64url");
            }
        }
        try {
            return Optional.of(new BatchProof((int) Math.min(Integer.MAX_VALUE, integer(b, "index")), (int) Math.min(Integer.MAX_VALUE,
                    integer(b, "size")), hashes));
        } catch (IllegalArgumentException e) {
            throw IamException.invalid("batch", e.getMessage());
        }
    }

    private static long integer(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw IamException.invalid(field, "is required and must be a non-negative integer");
        }
        return v.asLong();
    }

    private static RequestEntity entity(JsonNode n, String path) {
        if (n == null || n.isNull()) {
            throw IamException.invalid(path, "is required: an object with type and id");
        }
        object(n, path);
        String type = text(n, path, "type");
        String id = text(n, path, "id");
        Map<String, AttributeValue> attributes = n.has("attributes") ? record(n.get("attributes"), join(path, "attributes"), 1) : Map.of();
        try {
            return new RequestEntity(type, id, attributes);
        } catch (IllegalArgumentException e) {
            String field = e.getMessage().startsWith("type") ? "type" : "id";
            throw IamException.invalid(join(path, field), e.getMessage());
        }
    }

    private static Map<String, AttributeValue> record(JsonNode n, String path, int depth) {
        if (n == null || !n.isObject()) {
            throw IamException.invalid(path, "must be an object");
        }
        Map<String, AttributeValue> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : n.properties()) {
            if (!CanonicalBytes.wellFormed(f.getKey())) {
                throw IamException.invalid(path, "an attribute name is not well-formed Unicode (lone surrogate)");
            }
            out.put(f.getKey(), value(f.getValue(), join(path, f.getKey()), depth + 1));
        }
        return out;
    }

    private static AttributeValue value(JsonNode n, String path, int depth) {
        if (depth > MAX_DEPTH) {
            throw IamException.invalid(path, "nested deeper than " + MAX_DEPTH + " levels");
        }
        if (n.isTextual()) {
            try {
                return new AttributeValue.Text(n.asText());
            } catch (IllegalArgumentException e) {
                throw IamException.invalid(path, e.getMessage());
            }
        }
        if (n.isBoolean()) {
            return new AttributeValue.Bool(n.asBoolean());
        }
        if (n.isIntegralNumber()) {
            if (!n.canConvertToLong()) {
                throw IamException.invalid(path, "integer out of the 64-bit range");
            }
            return new AttributeValue.Int(n.asLong());
        }
        if (n.isNumber()) {
            throw IamException.invalid(path, "must not be a fractional number: Cedar has no floating point (use an integer or a string)");
        }
        if (n.isNull()) {
            throw IamException.invalid(path, "must not be null: Cedar has no null (leave the attribute out)");
        }
        if (n.isArray()) {
            List<AttributeValue> elements = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                elements.add(value(n.get(i), path + "[" + i + "]", depth + 1));
            }
            return new AttributeValue.SetValue(elements);
        }
        if (n.size() == 1 && n.has("__entity")) {
            JsonNode e = n.get("__entity");
            String p = join(path, "__entity");
            object(e, p);
            try {
                return new AttributeValue.EntityRef(text(e, p, "type"), text(e, p, "id"));
            } catch (IllegalArgumentException ex) {
                throw IamException.invalid(p, ex.getMessage());
            }
        }
        return new AttributeValue.RecordValue(record(n, path, depth));
    }

    static String text(JsonNode n, String path, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw IamException.invalid(join(path, field), "is required");
        }
        if (!v.isTextual()) {
            throw IamException.invalid(join(path, field), "must be a string");
        }
        return v.asText();
    }

    private static void object(JsonNode n, String path) {
        if (n == null || !n.isObject()) {
            throw IamException.invalid(path.isEmpty() ? "body" : path, "must be an object");
        }
    }

    static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}
