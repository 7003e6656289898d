package dev.keyline.iam.decision;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of evaluating one request against one complete policy set: the verdict, the
 * policies that could not be evaluated (Cedar skips a policy whose condition errors, for example
 * on a missing attribute) and the version of the set. This is what the decision cache holds: it
 * depends only on the request and the policy set, never on time.
 */
public record Evaluation(Verdict verdict, List<String> errors, String policyVersion) {
    public Evaluation {
        Objects.requireNonNull(verdict, "verdict");
        errors = List.copyOf(errors);
        Objects.requireNonNull(policyVersion, "policyVersion");
    }

    public boolean allowed() {
        return verdict.allowed();
    }

    public String policyName() {
        return verdict.policyName();
    }

    /** The verdict's reasons, then one line per policy that errored. */
    public List<String> reasons() {
        List<String> out = new ArrayList<>(verdict.reasons());
        errors.forEach(e -> out.add("policy not applied because of an error: " + e));
        return List.copyOf(out);
    }
}
