package dev.keyline.iam.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.decision.Verdict;
import java.util.ArrayList;
import java.util.List;

/** The JSON form of a cached {@link Evaluation}, inside encrypted entries and in plaintext ones. */
final class EvaluationCodec {
    static final ObjectMapper JSON = new ObjectMapper();

    private EvaluationCodec() {
    }

    static ObjectNode toJson(Evaluation e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("verdict", switch (e.verdict()) {
            case Verdict.Allowed a -> "allowed";
            case Verdict.Forbidden f -> "forbidden";
            case Verdict.NotPermitted d -> "not_permitted";
        });
        ArrayNode policies = n.putArray("policies");
        e.verdict().policies().forEach(policies::add);
        ArrayNode errors = n.putArray("errors");
        e.errors().forEach(errors::add);
        n.put("policy_version", e.policyVersion());
        return n;
    }

    /** The evaluation in {@code n}; {@code IllegalArgumentException} when it is not one. */
    static Evaluation fromJson(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("not an evaluation object");
        }
        List<String> policies = strings(n.get("policies"));
        Verdict verdict = switch (text(n, "verdict")) {
            case "allowed" -> new Verdict.Allowed(policies);
            case "forbidden" -> new Verdict.Forbidden(policies);
            case "not_permitted" -> new Verdict.NotPermitted();
            default -> throw new IllegalArgumentException("unknown verdict");
        };
        return new Evaluation(verdict, strings(n.get("errors")), text(n, "policy_version"));
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(field + " is missing or not a string");
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode n) {
        if (n == null || !n.isArray()) {
            throw new IllegalArgumentException("expected an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : n) {
            if (!s.isTextual()) {
                throw new IllegalArgumentException("expected an array of strings");
            }
            out.add(s.asText());
        }
        return out;
    }
}
