package dev.keyline.iam.signing;

import dev.keyline.iam.decision.Decision;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The seven fields a decision signature covers, and their canonical payload.
 *
 * <h2>Canonical payload</h2>
 * The JSON object with exactly these members, serialized by the JSON Canonicalization Scheme
 * (RFC 8785): members sorted by name, no whitespace, strings with only the quote, the backslash and
 * control characters escaped (the two-character forms for backspace, tab, newline, form feed and
 * carriage return, else a six-character escape with four lower-case hex digits), lone surrogates
 * escaped the same way, the timestamp as a plain integer, UTF-8:
 * <pre>
 * {"action":"read","allowed":true,"decision_id":"…","policy_name":"…","resource_id":"…","subject_id":"…","timestamp":1767225600000}
 * </pre>
 * Any JCS library reproduces these bytes from the decision's JSON; see docs/signed-decisions.md.
 *
 * <p>This is format version 1: the service no longer signs it (it signs {@link BoundDecisionClaims},
 * version 2) but still verifies it, so decisions signed before the upgrade stay verifiable.
 *
 * @param timestamp Unix time in milliseconds, 0 to 2^53−1 (exact in JSON numbers)
 */
public record DecisionClaims(long timestamp, String decisionId, String subjectId, String resourceId, String action, boolean allowed,
        String policyName) implements SignedClaims {
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    public DecisionClaims {
        if (timestamp < 0 || timestamp > MAX_SAFE_INTEGER) {
            throw new IllegalArgumentException("timestamp must be between 0 and 2^53-1 milliseconds");
        }
        Objects.requireNonNull(decisionId, "decisionId");
        Objects.requireNonNull(subjectId, "subjectId");
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(policyName, "policyName");
    }

    public static DecisionClaims of(Decision d) {
        return new DecisionClaims(d.timestamp().toEpochMilli(), d.decisionId(), d.subjectId(), d.resourceId(), d.action(), d.allowed(),
                d.policyName());
    }

    /** The bytes that are signed; see the class comment. */
    @Override
    public byte[] canonicalPayload() {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"action\":");
        jcsString(sb, action);
        sb.append(",\"allowed\":").append(allowed);
        sb.append(",\"decision_id\":");
        jcsString(sb, decisionId);
        sb.append(",\"policy_name\":");
        jcsString(sb, policyName);
        sb.append(",\"resource_id\":");
        jcsString(sb, resourceId);
        sb.append(",\"subject_id\":");
        jcsString(sb, subjectId);
        sb.append(",\"timestamp\":").append(timestamp).append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public DecisionClaims seed() {
        return this;
    }

    static void jcsString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        hex(sb, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        hex(sb, c);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static void hex(StringBuilder sb, char c) {
        sb.append("\\u").append(String.format("%04x", (int) c));
    }
}
