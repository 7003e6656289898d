package dev.keyline.crypto.service.grpc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UnsafeByteOperations;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.keys.KeyOperations;
import dev.keyline.crypto.service.keys.KeyRing;
import dev.keyline.crypto.service.keys.KeyVersion;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.KeyVersionInfo;
import java.time.Instant;

/** Conversions between the domain types and the protobuf messages of keyline.crypto.v1. */
final class ProtoMapping {
    private ProtoMapping() {
    }

    static KeyId keyId(dev.keyline.crypto.v1.KeyId p) {
        if (p.getNamespace().isEmpty() || p.getId().isEmpty()) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "key_id needs a namespace and an id");
        }
        if (p.getVersion() > Integer.MAX_VALUE) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "key_id version is too large");
        }
        return KeyId.of(p.getNamespace(), p.getId(), p.getVersion());
    }

    /**
     * Proto key ids of the versions answers name, kept so that each answer reuses one immutable
     * message (whose serialized size protobuf has already worked out) instead of building it per
     * item.
     */
    private static final Cache<KeyId, dev.keyline.crypto.v1.KeyId> PROTO_KEY_IDS =
            Caffeine.newBuilder().maximumSize(10_000).build();

    static dev.keyline.crypto.v1.KeyId keyId(KeyId k) {
        return PROTO_KEY_IDS.get(k, id -> dev.keyline.crypto.v1.KeyId.newBuilder().setNamespace(id.namespace()).setId(id.id())
                .setVersion(id.version()).build());
    }

    static KeyAlgorithm algorithm(dev.keyline.crypto.v1.KeyAlgorithm p) {
        return switch (p) {
            case AES_256_GCM -> KeyAlgorithm.AES_256_GCM;
            case ECDSA_P256_SHA256 -> KeyAlgorithm.ECDSA_P256_SHA256;
            case ECDSA_P384_SHA384 -> KeyAlgorithm.ECDSA_P384_SHA384;
            case ED25519 -> KeyAlgorithm.ED25519;
            case RSA_PSS_2048_SHA256 -> KeyAlgorithm.RSA_PSS_2048_SHA256;
            case RSA_PKCS1_2048_SHA256 -> KeyAlgorithm.RSA_PKCS1_2048_SHA256;
            case HMAC_SHA256 -> KeyAlgorithm.HMAC_SHA256;
            case KEY_ALGORITHM_UNSPECIFIED, UNRECOGNIZED -> throw new CryptoException(Reason.INVALID_ARGUMENT, "algorithm is required");
        };
    }

    static dev.keyline.crypto.v1.KeyAlgorithm algorithm(KeyAlgorithm a) {
        // A switch, not valueOf(name()): that hashes the name on every response.
        return switch (a) {
            case AES_256_GCM -> dev.keyline.crypto.v1.KeyAlgorithm.AES_256_GCM;
            case ECDSA_P256_SHA256 -> dev.keyline.crypto.v1.KeyAlgorithm.ECDSA_P256_SHA256;
            case ECDSA_P384_SHA384 -> dev.keyline.crypto.v1.KeyAlgorithm.ECDSA_P384_SHA384;
            case ED25519 -> dev.keyline.crypto.v1.KeyAlgorithm.ED25519;
            case RSA_PSS_2048_SHA256 -> dev.keyline.crypto.v1.KeyAlgorithm.RSA_PSS_2048_SHA256;
            case RSA_PKCS1_2048_SHA256 -> dev.keyline.crypto.v1.KeyAlgorithm.RSA_PKCS1_2048_SHA256;
            case HMAC_SHA256 -> dev.keyline.crypto.v1.KeyAlgorithm.HMAC_SHA256;
        };
    }

    static KeyState state(dev.keyline.crypto.v1.KeyState p) {
        return switch (p) {
            case ENABLED -> KeyState.ENABLED;
            case DISABLED -> KeyState.DISABLED;
            case PENDING_DELETION -> KeyState.PENDING_DELETION;
            case DESTROYED -> KeyState.DESTROYED;
            case KEY_STATE_UNSPECIFIED, UNRECOGNIZED -> throw new CryptoException(Reason.INVALID_ARGUMENT, "state is required");
        };
    }

    static dev.keyline.crypto.v1.KeyState state(KeyState s) {
        return dev.keyline.crypto.v1.KeyState.valueOf(s.name());
    }

    static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    static java.time.Duration duration(Duration d) {
        if (d.getSeconds() < 0 || d.getNanos() < 0) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "rotation_period must not be negative");
        }
        return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }

    static KeyMetadata metadata(KeyRing ring) {
        KeyMetadata.Builder b = KeyMetadata.newBuilder()
                .setKeyId(keyId(ring.primaryId()))
                .setAlgorithm(algorithm(ring.algorithm()))
                .setState(state(ring.state()))
                .setPrimaryVersion(ring.primaryVersion())
                .setCreatedAt(timestamp(ring.createdAt()))
                .setRotatedAt(timestamp(ring.rotatedAt()))
                .setMinDecryptionVersion(ring.minDecryptionVersion())
                .setRotationPeriod(Duration.newBuilder().setSeconds(ring.rotationPeriod().getSeconds()));
        ring.deletionAt().ifPresent(t -> b.setDeletionAt(timestamp(t)));
        for (KeyVersion v : ring.versions()) {
            KeyVersionInfo.Builder vb = KeyVersionInfo.newBuilder().setVersion(v.version()).setState(state(v.state()))
                    .setCreatedAt(timestamp(v.createdAt()));
            v.deletionAt().ifPresent(t -> vb.setDeletionAt(timestamp(t)));
            b.addVersions(vb);
        }
        return b.build();
    }

    static EncryptResponse encrypted(KeyOperations.Encrypted e) {
        // The ciphertext is this call's own and goes nowhere else: the response wraps its arrays.
        return e.ciphertext().readParts((iv, sealed, ciphertextLength) -> EncryptResponse.newBuilder()
                .setCiphertext(UnsafeByteOperations.unsafeWrap(sealed, 0, ciphertextLength))
                .setIv(UnsafeByteOperations.unsafeWrap(iv))
                .setTag(UnsafeByteOperations.unsafeWrap(sealed, ciphertextLength, sealed.length - ciphertextLength))
                .setKeyId(keyId(e.keyId()))
                .setAlgorithm(algorithm(e.algorithm()))
                .build());
    }
}
