package dev.keyline.platform.run;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.keys.Operation;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * The crypto-service callers that Keyline's own services are, each with the least privilege it
 * needs: its own key namespace only, and only the operations it performs there. None may
 * {@code manage} (create, rotate, change state): its keys are created before it starts, by
 * {@code keyline up} or by an operator ({@link #keyCommands()}), so a stolen service token
 * cannot rotate, disable or destroy a key, nor touch another namespace.
 */
public enum ServiceCaller {
    /** Signs JWTs, publishes their public keys, wraps refresh-token families (envelope: data key + unwrap). */
    TOKEN_SERVICE("token-service", "token", EnumSet.of(Operation.SIGN, Operation.READ, Operation.DATA_KEY, Operation.DECRYPT),
            List.of(Map.entry(KeyId.of("token", "jwt-signing"), KeyAlgorithm.ECDSA_P256_SHA256),
                    Map.entry(KeyId.of("token", "family-encryption"), KeyAlgorithm.AES_256_GCM))),
    /** Signs and verifies decisions, publishes their public keys, encrypts its decision cache (envelope). */
    IAM_POLICY_SERVICE("iam-policy", "iam",
            EnumSet.of(Operation.SIGN, Operation.VERIFY, Operation.READ, Operation.DATA_KEY, Operation.DECRYPT),
            List.of(Map.entry(KeyId.of("iam", "decision-signing"), KeyAlgorithm.ECDSA_P256_SHA256),
                    Map.entry(KeyId.of("iam", "decision-cache"), KeyAlgorithm.AES_256_GCM)));

    private final String callerName;
    private final String namespace;
    private final EnumSet<Operation> operations;
    private final List<Map.Entry<KeyId, KeyAlgorithm>> keys;

    ServiceCaller(String callerName, String namespace, EnumSet<Operation> operations, List<Map.Entry<KeyId, KeyAlgorithm>> keys) {
        this.callerName = callerName;
        this.namespace = namespace;
        this.operations = operations;
        this.keys = keys;
    }

    /** The caller name {@code keyline up} gives it (its token file is {@code <name>.token}). */
    public String callerName() {
        return callerName;
    }

    /** The service as the {@code keyline} command names it: {@code token-service}, {@code iam-policy-service}. */
    public String serviceName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The one grant it needs. */
    public List<Grant> grants() {
        return List.of(new Grant(namespace, operations));
    }

    /** The keys it uses when run alone, under its default key ids, with their algorithms. */
    public List<Map.Entry<KeyId, KeyAlgorithm>> keys() {
        return keys;
    }

    /** The {@code keyline keys create} commands that prepare its keys (it may not create them itself). */
    public List<String> keyCommands() {
        return keys.stream()
                .map(e -> "keyline keys create " + e.getKey().namespace() + "/" + e.getKey().id() + " --algorithm " + e.getValue())
                .toList();
    }

    /** By {@link #serviceName()}. */
    public static ServiceCaller forService(String serviceName) {
        for (ServiceCaller s : values()) {
            if (s.serviceName().equals(serviceName)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown service '" + serviceName + "'; expected one of "
                + String.join(", ", java.util.Arrays.stream(values()).map(ServiceCaller::serviceName).toList()));
    }
}
