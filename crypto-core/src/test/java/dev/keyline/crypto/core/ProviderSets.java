package dev.keyline.crypto.core;

import dev.keyline.crypto.core.provider.CryptoProviders;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;

/** The provider selections vector and property tests run under, named for test reports. */
public final class ProviderSets {
    private ProviderSets() {
    }

    /**
     * The JDK's providers and the native-preferred selection. {@code nativePreferred()} throws when
     * the Amazon Corretto Crypto Provider cannot load, so a broken native library fails the tests
     * instead of silently testing the JDK twice.
     */
    public static Stream<Named<CryptoProviders>> both() {
        return Stream.of(Named.of("jdkOnly", CryptoProviders.jdkOnly()),
                Named.of("nativePreferred", CryptoProviders.nativePreferred()));
    }
}
