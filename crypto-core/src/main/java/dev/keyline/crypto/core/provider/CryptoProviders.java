package dev.keyline.crypto.core.provider;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Which JCA provider serves which algorithm. The native Amazon Corretto Crypto Provider
 * (AWS-LC) is about ten times faster than the JDK for ECDSA, RSA and Ed25519 on this kind of
 * machine, while the JDK's own AES-GCM and HMAC are faster on small messages. When the native
 * provider cannot load, everything falls back to the JDK and {@link #report()} says so.
 */
public final class CryptoProviders {
    /** Set to {@code jdk} to force the JDK's providers for everything. */
    public static final String ENV_OVERRIDE = "KEYLINE_CRYPTO_PROVIDER";

    private static final CryptoProviders DEFAULT = detect(System.getenv(ENV_OVERRIDE));

    private final Map<KeyAlgorithm, Provider> byAlgorithm;
    private final Provider aead;
    private final Provider mac;
    private final String nativeStatus;

    private CryptoProviders(Map<KeyAlgorithm, Provider> byAlgorithm, Provider aead, Provider mac, String nativeStatus) {
        this.byAlgorithm = byAlgorithm;
        this.aead = aead;
        this.mac = mac;
        this.nativeStatus = nativeStatus;
    }

    /** The process-wide choice: fastest available, or the JDK when {@value #ENV_OVERRIDE}=jdk. */
    public static CryptoProviders defaults() {
        return DEFAULT;
    }

    /** The JDK's own providers for every algorithm. */
    public static CryptoProviders jdkOnly() {
        return build(null, "not used (JDK providers only)");
    }

    /** The native provider where it is faster; fails when it cannot load. */
    public static CryptoProviders nativePreferred() {
        Provider accp = loadNative();
        if (accp == null) {
            throw new IllegalStateException("Amazon Corretto Crypto Provider is not available: " + nativeLoadError());
        }
        return build(accp, "loaded " + accp.getName() + " " + accp.getVersionStr());
    }

    static CryptoProviders detect(String override) {
        if ("jdk".equalsIgnoreCase(Objects.requireNonNullElse(override, ""))) {
            return jdkOnly();
        }
        Provider accp = loadNative();
        if (accp == null) {
            return build(null, "unavailable, using the JDK (" + nativeLoadError() + ")");
        }
        return build(accp, "loaded " + accp.getName() + " " + accp.getVersionStr());
    }

    private static CryptoProviders build(Provider accp, String status) {
        Map<KeyAlgorithm, Provider> map = new EnumMap<>(KeyAlgorithm.class);
        Provider sunEc = Security.getProvider("SunEC");
        Provider sunRsa = Security.getProvider("SunRsaSign");
        Provider sunJce = Security.getProvider("SunJCE");
        map.put(KeyAlgorithm.ECDSA_P256_SHA256, accp != null ? accp : sunEc);
        map.put(KeyAlgorithm.ECDSA_P384_SHA384, accp != null ? accp : sunEc);
        map.put(KeyAlgorithm.ED25519, accp != null ? accp : sunEc);
        map.put(KeyAlgorithm.RSA_PSS_2048_SHA256, accp != null ? accp : sunRsa);
        map.put(KeyAlgorithm.RSA_PKCS1_2048_SHA256, accp != null ? accp : sunRsa);
        // Measured: SunJCE AES-GCM and HMAC beat the native provider on small messages.
        map.put(KeyAlgorithm.AES_256_GCM, sunJce);
        map.put(KeyAlgorithm.HMAC_SHA256, sunJce);
        return new CryptoProviders(map, sunJce, sunJce, status);
    }

    private static Provider loadNative() {
        try {
            AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
            return p.getLoadingError() == null ? p : null;
        } catch (LinkageError e) {
            return null;
        }
    }

    private static String nativeLoadError() {
        try {
            Throwable t = AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError();
            return t == null ? "no error" : t.getClass().getSimpleName() + ": " + t.getMessage();
        } catch (LinkageError e) {
            return e.getClass().getSimpleName();
        }
    }

    /** The provider for signatures and key generation of {@code algorithm}. */
    public Provider forAlgorithm(KeyAlgorithm algorithm) {
        return byAlgorithm.get(algorithm);
    }

    public Provider aead() {
        return aead;
    }

    public Provider mac() {
        return mac;
    }

    /**
     * A source of IVs, nonces and keys. The native provider's (AWS-LC's CTR-DRBG, one state per
     * thread, seeded by the OS) when it is in use: it costs a third less than the JDK's default
     * NativePRNG, which takes one process-wide lock and runs SHA-1 over every request and showed up
     * at 5 % of the CPU of a batch encryption. Otherwise the JDK's default.
     */
    public SecureRandom secureRandom() {
        Provider p = byAlgorithm.get(KeyAlgorithm.ECDSA_P256_SHA256);
        if (p instanceof AmazonCorrettoCryptoProvider) {
            try {
                return SecureRandom.getInstance("DEFAULT", p);
            } catch (NoSuchAlgorithmException e) {
                // Not offered by this build of the native provider: the JDK's will do.
            }
        }
        return new SecureRandom();
    }

    /** Whether the native provider serves anything in this selection. */
    public boolean nativeInUse() {
        return byAlgorithm.values().stream().anyMatch(p -> p instanceof AmazonCorrettoCryptoProvider);
    }

    /** Algorithm name → "provider version", in declaration order, plus the native provider status. */
    public Map<String, String> report() {
        Map<String, String> out = new LinkedHashMap<>();
        byAlgorithm.forEach((alg, p) -> out.put(alg.name(), p.getName() + " " + p.getVersionStr()));
        SecureRandom random = secureRandom();
        out.put("random", random.getProvider().getName() + " " + random.getAlgorithm());
        out.put("native provider", nativeStatus);
        return out;
    }

    @Override
    public String toString() {
        return "CryptoProviders" + report();
    }
}
