package dev.keyline.iam.decision;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One authorization decision as the service answers it: a fresh id and time, who asked for what,
 * and the {@link Evaluation}. A cached evaluation still gets a new decision (id, time, signature):
 * each answer is its own auditable event.
 *
 * @param timestamp when the decision was made, in whole milliseconds
 */
public record Decision(String decisionId, Instant timestamp, String subjectId, String resourceId, String action, Evaluation evaluation) {
    public Decision {
        Objects.requireNonNull(decisionId, "decisionId");
        timestamp = timestamp.truncatedTo(ChronoUnit.MILLIS);
        Objects.requireNonNull(subjectId, "subjectId");
        Objects.requireNonNull(resourceId, "resourceId");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(evaluation, "evaluation");
    }

    public static Decision of(AuthorizationRequest request, Evaluation evaluation, Instant now, UUID id) {
        return new Decision(id.toString(), now, request.subject().id(), request.resource().id(), request.action(), evaluation);
    }

    public boolean allowed() {
        return evaluation.allowed();
    }

    public String policyName() {
        return evaluation.policyName();
    }

    public List<String> reasons() {
        return evaluation.reasons();
    }
}
