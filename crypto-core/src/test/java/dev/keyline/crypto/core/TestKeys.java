package dev.keyline.crypto.core;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.core.signing.SigningKey;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * Signing keys shared by the tests of one JVM. A 2048-bit RSA key takes ~100 ms (native) to
 * ~200 ms (JDK) to generate, so tests draw RSA keys from here instead of making their own.
 */
public final class TestKeys {
    public static final SecureRandom RANDOM = new SecureRandom();

    private static final Map<KeyAlgorithm, List<SigningKey>> POOLS = new ConcurrentHashMap<>();

    private TestKeys() {
    }

    /** One key of {@code algorithm}, generated under {@link CryptoProviders#defaults()}. */
    public static SigningKey signingKey(KeyAlgorithm algorithm) {
        return pool(algorithm, 1).get(0);
    }

    /** {@code size} distinct keys of {@code algorithm} (the same ones on every call). */
    public static List<SigningKey> pool(KeyAlgorithm algorithm, int size) {
        return POOLS.compute(algorithm, (alg, existing) -> {
            if (existing != null && existing.size() >= size) {
                return existing;
            }
            List<SigningKey> have = existing == null ? List.of() : existing;
            return IntStream.range(0, size)
                    .mapToObj(i -> i < have.size() ? have.get(i)
                            : SigningKey.generate(alg, RANDOM, CryptoProviders.defaults()))
                    .toList();
        }).subList(0, size);
    }
}
