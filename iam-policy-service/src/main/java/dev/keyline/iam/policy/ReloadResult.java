package dev.keyline.iam.policy;

import java.util.List;

/** The outcome of {@link PolicyEngine#reload()}. */
public sealed interface ReloadResult {

    /** The version in force after the reload attempt. */
    String currentVersion();

    /** A new set is in force. */
    record Loaded(PolicySetInfo info, String previousVersion) implements ReloadResult {
        @Override
        public String currentVersion() {
            return info.version();
        }
    }

    /** The source has not changed; nothing was swapped. */
    record Unchanged(PolicySetInfo info) implements ReloadResult {
        @Override
        public String currentVersion() {
            return info.version();
        }
    }

    /** The source is invalid; the set that was in force stays. */
    record Refused(String currentVersion, List<String> problems) implements ReloadResult {
        public Refused {
            problems = List.copyOf(problems);
        }
    }
}
