package dev.keyline.crypto.core.provider;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CryptoProvidersTest {
    private static final Set<String> JDK_PROVIDERS = Set.of("SunEC", "SunRsaSign", "SunJCE");
    private static final String NATIVE = "AmazonCorrettoCryptoProvider";

    @Test
    void report_defaults_namesAProviderForEveryAlgorithmAndTheNativeStatus() {
        CryptoProviders providers = CryptoProviders.defaults();

        Map<String, String> report = providers.report();

        for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
            Provider p = providers.forAlgorithm(algorithm);
            assertThat(p).as("provider for %s", algorithm).isNotNull();
            assertThat(report.get(algorithm.name())).as("report for %s", algorithm)
                    .isEqualTo(p.getName() + " " + p.getVersionStr());
        }
        assertThat(report).containsKey("native provider");
        assertThat(report.get("native provider")).isNotBlank();
        assertThat(report.get("random")).isEqualTo(providers.secureRandom().getProvider().getName() + " "
                + providers.secureRandom().getAlgorithm());
        assertThat(report).hasSize(KeyAlgorithm.values().length + 2);
    }

    @Test
    void secureRandom_isTheNativeGeneratorWhenTheNativeProviderIsUsed_andTheJdksOtherwise() {
        SecureRandom nativeRandom = CryptoProviders.nativePreferred().secureRandom();
        SecureRandom jdkRandom = CryptoProviders.jdkOnly().secureRandom();

        assertThat(nativeRandom.getProvider().getName()).isEqualTo(NATIVE);
        assertThat(jdkRandom.getProvider().getName()).isNotEqualTo(NATIVE);
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        nativeRandom.nextBytes(a);
        nativeRandom.nextBytes(b);
        assertThat(a).isNotEqualTo(b).isNotEqualTo(new byte[32]);
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void forAlgorithm_jdkOnly_isAJdkProvider(KeyAlgorithm algorithm) {
        CryptoProviders jdk = CryptoProviders.jdkOnly();

        assertThat(jdk.forAlgorithm(algorithm).getName()).isIn(JDK_PROVIDERS);
        assertThat(jdk.nativeInUse()).isFalse();
        assertThat(jdk.report().get("native provider")).contains("not used");
    }

    @Test
    void forAlgorithm_nativePreferred_usesTheNativeProviderForSignaturesAndTheJdkForAesAndHmac() {
        CryptoProviders providers = CryptoProviders.nativePreferred();

        for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
            String expected = algorithm.isAsymmetric() ? NATIVE : "SunJCE";
            assertThat(providers.forAlgorithm(algorithm).getName()).as("%s", algorithm).isEqualTo(expected);
        }
        assertThat(providers.aead().getName()).isEqualTo("SunJCE");
        assertThat(providers.mac().getName()).isEqualTo("SunJCE");
        assertThat(providers.nativeInUse()).isTrue();
        assertThat(providers.report().get("native provider")).startsWith("loaded " + NATIVE);
    }

    @Test
    void detect_overrideJdk_usesOnlyJdkProviders() {
        CryptoProviders providers = CryptoProviders.detect("JDK");

        assertThat(providers.nativeInUse()).isFalse();
        for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
            assertThat(providers.forAlgorithm(algorithm).getName()).isIn(JDK_PROVIDERS);
        }
    }

    @Test
    void detect_noOverride_prefersTheNativeProviderWhenItLoads() {
        // This machine and CI have the native library; detect must then pick it.
        assertThat(CryptoProviders.detect(null).nativeInUse()).isTrue();
        assertThat(CryptoProviders.detect("").report()).isEqualTo(CryptoProviders.nativePreferred().report());
    }
}
