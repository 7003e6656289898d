package dev.keyline.iam.decision;

import java.util.List;

/**
 * What the policies said, and which of them said it. Cedar's rules make this a closed set: a
 * request is allowed when some permit policy matches and no forbid policy does; it is denied when
 * a forbid policy matches (forbid overrides permit), or by default when no permit policy matches.
 */
public sealed interface Verdict {
    /** The {@code policy_name} of a default deny: no policy matched. */
    String DEFAULT_DENY = "default-deny";

    /** The ids of the policies that determined the verdict, sorted; empty for a default deny. */
    List<String> policies();

    default boolean allowed() {
        return this instanceof Allowed;
    }

    /** The policies that decided, comma-separated, or {@value #DEFAULT_DENY}. */
    default String policyName() {
        return policies().isEmpty() ? DEFAULT_DENY : String.join(",", policies());
    }

    /** One human-readable line per determining policy. */
    default List<String> reasons() {
        return switch (this) {
            case Allowed a -> a.policies().stream().map(p -> "permitted by policy " + p).toList();
            case Forbidden f -> f.policies().stream().map(p -> "forbidden by policy " + p).toList();
            case NotPermitted n -> List.of("no policy permits this request (default deny)");
        };
    }

    /** At least one permit policy matched and no forbid policy did. */
    record Allowed(List<String> policies) implements Verdict {
        public Allowed {
            policies = checked(policies);
        }
    }

    /** At least one forbid policy matched. */
    record Forbidden(List<String> policies) implements Verdict {
        public Forbidden {
            policies = checked(policies);
        }
    }

    /** No policy matched. */
    record NotPermitted() implements Verdict {
        @Override
        public List<String> policies() {
            return List.of();
        }
    }

    private static List<String> checked(List<String> policies) {
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("an allow or a forbid names at least one policy");
        }
        return policies.stream().sorted().toList();
    }
}
