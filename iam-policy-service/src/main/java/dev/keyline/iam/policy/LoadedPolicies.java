package dev.keyline.iam.policy;

import com.cedarpolicy.model.policy.PolicySet;

/** One complete, immutable policy set: policies, entities and what it is. Swapped as a whole. */
record LoadedPolicies(PolicySet policies, EntityGraph entities, PolicySetInfo info) {
}
