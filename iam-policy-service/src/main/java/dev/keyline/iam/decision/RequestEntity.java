package dev.keyline.iam.decision;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The subject or the resource of a request: a Cedar entity type ({@code User}, {@code App::Doc}),
 * an id, and attributes the caller knows about it. Attributes complement what the policy
 * directory's {@code entities.json} says about the same entity; see {@code policy.CedarPolicyEngine}.
 */
public record RequestEntity(String type, String id, Map<String, AttributeValue> attributes) {
    public static final int MAX_ID_LENGTH = 1024;
    private static final Pattern TYPE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*");

    public RequestEntity {
        checkType(type);
        checkId(id);
        attributes = AttributeValue.sortedCopy(attributes);
    }

    public static RequestEntity of(String type, String id) {
        return new RequestEntity(type, id, Map.of());
    }

    void writeTo(CanonicalBytes out) {
        out.open('E', 3).text(type).text(id);
        AttributeValue.writeFields(out, 'r', attributes);
    }

    static void checkType(String type) {
        if (type == null || type.length() > 128 || !TYPE.matcher(type).matches()) {
            throw new IllegalArgumentException("type must be a Cedar entity type name such as User or App::Doc (at most 128 characters)");
        }
    }

    static void checkId(String id) {
        checkText(id, MAX_ID_LENGTH, "id");
    }

    static void checkText(String s, int max, String what) {
        if (s == null || s.isEmpty() || s.length() > max) {
            throw new IllegalArgumentException(what + " must be 1 to " + max + " characters");
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                throw new IllegalArgumentException(what + " must not contain control characters");
            }
        }
        if (!CanonicalBytes.wellFormed(s)) {
            throw new IllegalArgumentException(what + " must be well-formed Unicode (no lone surrogate)");
        }
    }
}
