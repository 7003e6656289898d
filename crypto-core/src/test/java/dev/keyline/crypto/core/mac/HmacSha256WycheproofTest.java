package dev.keyline.crypto.core.mac;

import dev.keyline.crypto.core.ProviderSets;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.crypto.core.WycheproofTally;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.testing.Wycheproof;
import dev.keyline.testing.Wycheproof.TestFile;
import dev.keyline.testing.Wycheproof.TestGroup;
import dev.keyline.testing.Wycheproof.TestVector;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code hmac_sha256_test.json} through {@link HmacSha256}. Groups with {@code tagSize} 128 carry
 * truncated tags: a valid vector must equal the prefix of {@link HmacSha256#compute} and pass
 * {@link HmacSha256#verify}; an invalid one must fail verify.
 *
 * <p>Not applicable: groups with tags shorter than 128 bits, which {@code verify} refuses by
 * design (asserted); the current file has none. {@code acceptable} policy: the file has none;
 * either outcome would be counted and allowed.
 */
class HmacSha256WycheproofTest {
    private static final int MIN_TAG_BITS = 128;

    static Stream<Named<CryptoProviders>> providers() {
        return ProviderSets.both();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void verify_wycheproofVectors_matchExpectedResults(CryptoProviders providers) {
        TestFile file = Wycheproof.load("hmac_sha256_test.json");
        WycheproofTally tally = new WycheproofTally(file, providers.mac().getName());
        for (TestGroup group : file.groups()) {
            int tagBytes = group.integer("tagSize") / 8;
            for (TestVector v : group.tests()) {
                HmacSha256 mac = HmacSha256.of(SecretBytes.copyOf(v.hex("key")), providers.mac());
                byte[] msg = v.hex("msg");
                byte[] tag = v.hex("tag");
                boolean verified = mac.verify(msg, tag);
                if (group.integer("tagSize") < MIN_TAG_BITS) {
                    tally.notApplicable(v, !verified);
                    continue;
                }
                tally.record(v, verified);
                boolean prefixMatches = MessageDigest.isEqual(Arrays.copyOf(mac.compute(msg), tagBytes), tag);
                if (prefixMatches != verified) {
                    tally.fail(v, "compute() prefix and verify() disagree on");
                }
            }
        }
        tally.assertAllPassed();
    }
}
