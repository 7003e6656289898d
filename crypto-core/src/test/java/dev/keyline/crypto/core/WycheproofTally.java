package dev.keyline.crypto.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.testing.Wycheproof.TestFile;
import dev.keyline.testing.Wycheproof.TestVector;
import java.util.ArrayList;
import java.util.List;

/**
 * Counts what happened to each vector of one Wycheproof file and collects every mismatch, so one
 * run reports all failing tcIds instead of stopping at the first.
 */
public final class WycheproofTally {
    private final TestFile file;
    private final String label;
    private final List<String> failures = new ArrayList<>();
    private int valid;
    private int invalid;
    private int acceptableAccepted;
    private int acceptableRejected;
    private int notApplicable;

    public WycheproofTally(TestFile file, String label) {
        this.file = file;
        this.label = file.fileName() + " [" + label + "]";
    }

    /** Records the outcome of a checked vector: {@code accepted} is what Keyline answered. */
    public void record(TestVector vector, boolean accepted) {
        switch (vector.result()) {
            case VALID -> {
                valid++;
                if (!accepted) {
                    failures.add("rejected valid " + vector.describe());
                }
            }
            case INVALID -> {
                invalid++;
                if (accepted) {
                    failures.add("accepted invalid " + vector.describe());
                }
            }
            case ACCEPTABLE -> {
                if (accepted) {
                    acceptableAccepted++;
                } else {
                    acceptableRejected++;
                }
            }
        }
    }

    /**
     * Records a vector whose parameters Keyline cannot represent. {@code rejected} must be true:
     * Keyline has to refuse such input, never answer for it.
     */
    public void notApplicable(TestVector vector, boolean rejected) {
        notApplicable++;
        if (!rejected) {
            failures.add("did not reject out-of-policy " + vector.describe());
        }
    }

    /** Records a mismatch that is not a plain accept/reject (wrong plaintext, wrong exception). */
    public void fail(TestVector vector, String what) {
        failures.add(what + " " + vector.describe());
    }

    public int checked() {
        return valid + invalid + acceptableAccepted + acceptableRejected;
    }

    public int notApplicableCount() {
        return notApplicable;
    }

    public String summary() {
        return label + ": checked " + checked() + " of " + file.numberOfTests() + " (valid " + valid + ", invalid "
                + invalid + ", acceptable " + (acceptableAccepted + acceptableRejected) + " [accepted "
                + acceptableAccepted + ", rejected " + acceptableRejected + "]), not applicable " + notApplicable;
    }

    /**
     * Prints the summary and asserts: no mismatches, at least one vector checked, and every vector
     * of the file accounted for (checked or explicitly not applicable).
     */
    public void assertAllPassed() {
        System.out.println(summary());
        assertThat(failures).as(summary()).isEmpty();
        assertThat(checked()).as(label + " vectors checked").isPositive();
        assertThat(checked() + notApplicable).as(label + " vectors accounted for").isEqualTo(file.numberOfTests());
    }
}
