package dev.keyline.crypto.client;

import com.google.protobuf.Timestamp;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.v1.KeyVersionInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Conversions between keyline.crypto.v1 messages and the client's types. Anything a response
 * carries that does not convert is the service answering something else than was asked:
 * {@code ALGORITHM_MISMATCH}.
 */
final class Protos {
    private Protos() {
    }

    static dev.keyline.crypto.v1.KeyId keyId(KeyId k) {
        return dev.keyline.crypto.v1.KeyId.newBuilder().setNamespace(k.namespace()).setId(k.id()).setVersion(k.version()).build();
    }

    /** A key id from a response. */
    static KeyId keyId(dev.keyline.crypto.v1.KeyId p) {
        if (p.getVersion() > Integer.MAX_VALUE || p.getVersion() < 0) {
            throw mismatch("the response names key version " + Integer.toUnsignedString(p.getVersion()));
        }
        try {
            return KeyId.of(p.getNamespace(), p.getId(), p.getVersion());
        } catch (CryptoException e) {
            throw mismatch("the response names an invalid key id");
        }
    }

    static dev.keyline.crypto.v1.KeyAlgorithm algorithm(KeyAlgorithm a) {
        return dev.keyline.crypto.v1.KeyAlgorithm.valueOf(a.name());
    }

    /** An algorithm from a response. */
    static KeyAlgorithm algorithm(dev.keyline.crypto.v1.KeyAlgorithm p) {
        return switch (p) {
            case AES_256_GCM -> KeyAlgorithm.AES_256_GCM;
            case ECDSA_P256_SHA256 -> KeyAlgorithm.ECDSA_P256_SHA256;
            case ECDSA_P384_SHA384 -> KeyAlgorithm.ECDSA_P384_SHA384;
            case ED25519 -> KeyAlgorithm.ED25519;
            case RSA_PSS_2048_SHA256 -> KeyAlgorithm.RSA_PSS_2048_SHA256;
            case RSA_PKCS1_2048_SHA256 -> KeyAlgorithm.RSA_PKCS1_2048_SHA256;
            case HMAC_SHA256 -> KeyAlgorithm.HMAC_SHA256;
            case KEY_ALGORITHM_UNSPECIFIED, UNRECOGNIZED -> throw mismatch("the response names no known algorithm");
        };
    }

    static KeyState state(dev.keyline.crypto.v1.KeyState p) {
        return switch (p) {
            case ENABLED -> KeyState.ENABLED;
            case DISABLED -> KeyState.DISABLED;
            case PENDING_DELETION -> KeyState.PENDING_DELETION;
            case DESTROYED -> KeyState.DESTROYED;
            // An unknown state is not ENABLED: treat it as unusable rather than guessing.
            case KEY_STATE_UNSPECIFIED, UNRECOGNIZED -> KeyState.DISABLED;
        };
    }

    static com.google.protobuf.Duration duration(Duration d) {
        return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    static KeyMetadata metadata(dev.keyline.crypto.v1.KeyMetadata m) {
        KeyId id = keyId(m.getKeyId());
        List<KeyMetadata.VersionInfo> versions = new ArrayList<>(m.getVersionsCount());
        for (KeyVersionInfo v : m.getVersionsList()) {
            versions.add(new KeyMetadata.VersionInfo(v.getVersion(), state(v.getState()), instant(v.getCreatedAt())));
        }
        return new KeyMetadata(id, algorithm(m.getAlgorithm()), state(m.getState()), m.getPrimaryVersion(), versions,
                instant(m.getCreatedAt()), instant(m.getRotatedAt()), m.getMinDecryptionVersion(),
                Duration.ofSeconds(m.getRotationPeriod().getSeconds(), m.getRotationPeriod().getNanos()));
    }

    private static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    static CryptoException mismatch(String message) {
        return new CryptoException(Reason.ALGORITHM_MISMATCH, message);
    }
}
