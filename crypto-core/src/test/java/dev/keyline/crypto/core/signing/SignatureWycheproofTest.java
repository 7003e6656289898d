package dev.keyline.crypto.core.signing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.ProviderSets;
import dev.keyline.crypto.core.WycheproofTally;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.testing.Wycheproof;
import dev.keyline.testing.Wycheproof.TestFile;
import dev.keyline.testing.Wycheproof.TestGroup;
import dev.keyline.testing.Wycheproof.TestVector;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Wycheproof signature file through {@link VerifyingKey}, under both the JDK's providers and
 * the native-preferred selection: {@code valid} must verify, {@code invalid} must not, and verify
 * must never throw.
 *
 * <p>{@code acceptable} policy, per file (either outcome is allowed and counted in the summary):
 * <ul>
 *   <li>ECDSA DER P-256 / P-384 and P1363 P-256, Ed25519, RSASSA-PSS: the 0.9rc5 files have no
 *       acceptable vectors. BER-encoded ECDSA signatures are {@code invalid} there and must be
 *       rejected; the strict DER check in {@link EcdsaSignatures} does that before any provider
 *       sees them. Without it SunEC (JDK 25) accepts tcId 6 of both DER files, an {@code s}
 *       encoded without its leading zero ({@code MissingZero}), so that check is load-bearing.
 *   <li>RSASSA-PKCS1-v1_5 SHA-256: one acceptable vector, tcId 8, a DigestInfo without the NULL
 *       parameters ({@code MissingNull}). RFC 8017 §9.2 note 2 allows verifiers to accept it; a
 *       forgery needs the private key either way. Observed: SunRsaSign accepts it, the native
 *       provider rejects it.
 * </ul>
 *
 * <p>Groups whose parameters differ from the fixed ones of the Keyline algorithm (hash, PSS salt
 * length or MGF hash) would be counted as not applicable and must be rejected; the files have none.
 */
class SignatureWycheproofTest {
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    /** One signature vector file and how Keyline reads it. */
    enum SignatureFile {
        ECDSA_P256_DER("ecdsa_secp256r1_sha256_test.json", KeyAlgorithm.ECDSA_P256_SHA256, false),
        ECDSA_P384_DER("ecdsa_secp384r1_sha384_test.json", KeyAlgorithm.ECDSA_P384_SHA384, false),
        ECDSA_P256_P1363("ecdsa_secp256r1_sha256_p1363_test.json", KeyAlgorithm.ECDSA_P256_SHA256, true),
        ED25519("ed25519_test.json", KeyAlgorithm.ED25519, false),
        RSA_PKCS1_2048_SHA256("rsa_signature_2048_sha256_test.json", KeyAlgorithm.RSA_PKCS1_2048_SHA256, false),
        RSA_PSS_2048_SHA256("rsa_pss_2048_sha256_mgf1_32_test.json", KeyAlgorithm.RSA_PSS_2048_SHA256, false);

        final String fileName;
        final KeyAlgorithm algorithm;
        final boolean jws;

        SignatureFile(String fileName, KeyAlgorithm algorithm, boolean jws) {
            this.fileName = fileName;
            this.algorithm = algorithm;
            this.jws = jws;
        }

        /** The group's public key as SubjectPublicKeyInfo. */
        byte[] spki(TestGroup group) {
            if (this == ED25519) {
                byte[] raw = HexFormat.of().parseHex(group.node("publicKey").get("pk").asText());
                byte[] spki = new byte[ED25519_SPKI_PREFIX.length + raw.length];
                System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
                System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, raw.length);
                assertThat(spki).as("SPKI built from the raw key").isEqualTo(group.hex("publicKeyDer"));
                return spki;
            }
            return group.hex("publicKeyDer");
        }

        /** Whether the group's parameters are exactly those of {@link #algorithm}. */
        boolean matchesKeyline(TestGroup group) {
            return switch (this) {
                case ECDSA_P256_DER, ECDSA_P256_P1363 -> group.string("sha").equals("SHA-256")
                        && group.node("publicKey").get("curve").asText().equals("secp256r1");
                case ECDSA_P384_DER -> group.string("sha").equals("SHA-384")
                        && group.node("publicKey").get("curve").asText().equals("secp384r1");
                case ED25519 -> group.node("publicKey").get("curve").asText().equals("edwards25519");
                case RSA_PKCS1_2048_SHA256 -> group.string("sha").equals("SHA-256");
                case RSA_PSS_2048_SHA256 -> group.string("sha").equals("SHA-256") && group.string("mgf").equals("MGF1")
                        && group.string("mgfSha").equals("SHA-256") && group.integer("sLen") == 32;
            };
        }
    }

    static Stream<Arguments> filesAndProviders() {
        return Stream.of(SignatureFile.values())
                .flatMap(f -> ProviderSets.both().map(p -> Arguments.of(f, p)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("filesAndProviders")
    void verify_wycheproofVectors_matchExpectedResults(SignatureFile sigFile, CryptoProviders providers) {
        TestFile file = Wycheproof.load(sigFile.fileName);
        WycheproofTally tally = new WycheproofTally(file, providers.forAlgorithm(sigFile.algorithm).getName());
        for (TestGroup group : file.groups()) {
            Optional<VerifyingKey> key = importKey(sigFile, group, providers);
            boolean applicable = sigFile.matchesKeyline(group);
            for (TestVector v : group.tests()) {
                boolean verified = key.isPresent() && verify(sigFile, key.get(), v);
                if (applicable) {
                    tally.record(v, verified);
                } else {
                    tally.notApplicable(v, !verified);
                }
            }
        }
        tally.assertAllPassed();
    }

    private static Optional<VerifyingKey> importKey(SignatureFile sigFile, TestGroup group, CryptoProviders providers) {
        try {
            return Optional.of(VerifyingKey.fromSpki(sigFile.algorithm, sigFile.spki(group), providers));
        } catch (CryptoException e) {
            // A key Keyline refuses verifies nothing: its valid vectors then show up as failures.
            return Optional.empty();
        }
    }

    private static boolean verify(SignatureFile sigFile, VerifyingKey key, TestVector v) {
        byte[] msg = v.hex("msg");
        byte[] sig = v.hex("sig");
        // verify/verifyJws must answer, never throw: an exception here fails the test outright.
        return sigFile.jws ? key.verifyJws(msg, sig) : key.verify(msg, sig);
    }
}
