package dev.keyline.iam.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.keyline.testing.Examples;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every item of a batch of any size proves its membership at its own index, and at no other. */
class BatchProofPropertyTest {

    @Test
    void auditPath_anyBatchSizeAndIndex_leadsToTheRootOnlyFromItsOwnPayloadAndIndex() {
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(200)).forAll(integers().between(1, 130), integers().between(0, 10_000)).checkAssert((size, pick) -> {
            examples.ran();
            int index = pick % size;
            List<byte[]> payloads = new ArrayList<>();
            List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                byte[] p = ("{\"decision\":" + i + "}").getBytes(StandardCharsets.UTF_8);
                payloads.add(p);
                leaves.add(BatchProof.leaf(p));
            }
            byte[] root = BatchProof.treeHash(leaves, 0, size);
            BatchProof proof = new BatchProof(index, size, BatchProof.auditPath(index, leaves, 0, size));

            assertThat(proof.root(payloads.get(index))).hasValueSatisfying(r -> assertThat(r).isEqualTo(root));
            if (size > 1) {
                int other = (index + 1) % size;
                assertThat(proof.root(payloads.get(other)).map(r -> Arrays.equals(r, root)).orElse(false)).isFalse();
                assertThat(new BatchProof(other, size, proof.path()).root(payloads.get(index)).map(r -> Arrays.equals(r, root)).orElse(false))
                        .isFalse();
            }
            // A leaf is never a node: the payload of a two-item batch's root input cannot pose as a leaf.
            assertThat(proof.path().size()).isLessThanOrEqualTo(32 - Integer.numberOfLeadingZeros(Math.max(1, size - 1)));
        });
        examples.assertAtLeast(200);
    }
}
