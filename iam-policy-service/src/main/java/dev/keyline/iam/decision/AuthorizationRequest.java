package dev.keyline.iam.decision;

import java.util.Map;
import java.util.Objects;

/**
 * May {@code subject} do {@code action} on {@code resource}, given {@code context}? The action is
 * the id of a Cedar {@code Action} entity ({@code "read"} means {@code Action::"read"}).
 */
public record AuthorizationRequest(RequestEntity subject, String action, RequestEntity resource, Map<String, AttributeValue> context) {
    public static final int MAX_ACTION_LENGTH = 256;

    public AuthorizationRequest {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(resource, "resource");
        RequestEntity.checkText(action, MAX_ACTION_LENGTH, "action");
        context = AttributeValue.sortedCopy(context);
    }

    public static AuthorizationRequest of(RequestEntity subject, String action, RequestEntity resource) {
        return new AuthorizationRequest(subject, action, resource, Map.of());
    }

    /**
     * Everything that can change the answer, encoded without ambiguity: two requests have the same
     * bytes exactly when they are equal. The decision cache keys on an HMAC of these bytes.
     */
    public byte[] canonicalBytes() {
        CanonicalBytes out = CanonicalBytes.builder().text("keyline-iam-request-v1");
        subject.writeTo(out);
        out.text(action);
        resource.writeTo(out);
        AttributeValue.writeFields(out, 'c', context);
        return out.build();
    }
}
