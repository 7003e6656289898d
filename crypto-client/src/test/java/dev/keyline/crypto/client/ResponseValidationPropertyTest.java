package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.v1.BatchSignResponse;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.crypto.v1.GenerateDataKeyResponse;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.PublicKey;
import dev.keyline.crypto.v1.SignResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * T13 — response algorithm validation. A response that names another algorithm, another key, or
 * (for a request naming a version) another version than asked and than the key's metadata says is
 * rejected with ALGORITHM_MISMATCH; it is never returned as a success — also when the sign went
 * out in a BatchSign RPC (sign batching on). The server interceptor rewrites the real service's
 * responses.
 */
class ResponseValidationPropertyTest {
    @TempDir
    static Path dir;
    static ClientFixture fx;
    static KeyId aesKey;
    static KeyId ecKey;

    @BeforeAll
    static void start() {
        fx = ClientFixture.start(dir);
        aesKey = fx.newKey("resp", KeyAlgorithm.AES_256_GCM);
        ecKey = fx.newKey("resp", KeyAlgorithm.ECDSA_P256_SHA256);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    enum Op { SIGN, ENCRYPT, DATA_KEY, PUBLIC_KEY, METADATA }

    enum Corruption { NONE, OTHER_ALGORITHM, UNSPECIFIED_ALGORITHM, OTHER_KEY, OTHER_NAMESPACE, OTHER_VERSION, NO_VERSION }

    /** @param batched for SIGN: through a client with sign batching on (other operations ignore it) */
    record Case(Op op, Corruption corruption, boolean concreteVersion, dev.keyline.crypto.v1.KeyAlgorithm otherAlgorithm, int payloadSize,
            boolean batched) { }

    static Gen<Case> cases() {
        Gen<dev.keyline.crypto.v1.KeyAlgorithm> algs = Generate.pick(List.of(dev.keyline.crypto.v1.KeyAlgorithm.ED25519,
                dev.keyline.crypto.v1.KeyAlgorithm.HMAC_SHA256, dev.keyline.crypto.v1.KeyAlgorithm.RSA_PSS_2048_SHA256,
                dev.keyline.crypto.v1.KeyAlgorithm.ECDSA_P384_SHA384));
        // payload size and batching in one number: bit 7 says batched.
        return Generate.enumValues(Op.class).zip(Generate.enumValues(Corruption.class), booleans().all(), algs, integers().between(0, 255),
                (op, corruption, concrete, alg, n) -> new Case(op, corruption, concrete, alg, n & 0x7f, (n & 0x80) != 0)).assuming(c -> !(c.op() == Op.METADATA && (c.corruption() == Corruption.OTHER_ALGORITHM
                        || c.corruption() == Corruption.OTHER_VERSION || c.corruption() == Corruption.NO_VERSION)));
    }

    static dev.keyline.crypto.v1.KeyId corrupt(dev.keyline.crypto.v1.KeyId id, Corruption c) {
        return switch (c) {
            case OTHER_KEY -> id.toBuilder().setId(id.getId() + "-x").build();
            case OTHER_NAMESPACE -> id.toBuilder().setNamespace("elsewhere").build();
            case OTHER_VERSION -> id.toBuilder().setVersion(7).build();
            case NO_VERSION -> id.toBuilder().setVersion(0).build();
            default -> id;
        };
    }

    static dev.keyline.crypto.v1.KeyAlgorithm corrupt(dev.keyline.crypto.v1.KeyAlgorithm a, Case c) {
        return switch (c.corruption()) {
            case OTHER_ALGORITHM -> c.otherAlgorithm() == a ? dev.keyline.crypto.v1.KeyAlgorithm.AES_256_GCM : c.otherAlgorithm();
            case UNSPECIFIED_ALGORITHM -> dev.keyline.crypto.v1.KeyAlgorithm.KEY_ALGORITHM_UNSPECIFIED;
            default -> a;
        };
    }

    static UnaryOperator<Object> rewrite(Case c) {
        return m -> switch (m) {
            case SignResponse r -> r.toBuilder().setKeyId(corrupt(r.getKeyId(), c.corruption())).setAlgorithm(corrupt(r.getAlgorithm(), c)).build();
            case BatchSignResponse r -> {
                BatchSignResponse.Builder b = r.toBuilder();
                for (int i = 0; i < b.getItemsCount(); i++) {
                    SignResponse item = b.getItems(i).getResult();
                    b.setItems(i, b.getItems(i).toBuilder().setResult(item.toBuilder().setKeyId(corrupt(item.getKeyId(), c.corruption()))
                            .setAlgorithm(corrupt(item.getAlgorithm(), c))));
                }
                yield b.build();
            }
            case EncryptResponse r -> r.toBuilder().setKeyId(corrupt(r.getKeyId(), c.corruption())).setAlgorithm(corrupt(r.getAlgorithm(), c)).build();
            case GenerateDataKeyResponse r -> r.toBuilder().setWrappedKey(r.getWrappedKey().toBuilder()
                    .setKeyId(corrupt(r.getWrappedKey().getKeyId(), c.corruption())).setAlgorithm(corrupt(r.getWrappedKey().getAlgorithm(), c))).build();
            case PublicKey r -> r.toBuilder().setKeyId(corrupt(r.getKeyId(), c.corruption())).setAlgorithm(corrupt(r.getAlgorithm(), c)).build();
            case KeyMetadata r -> r.toBuilder().setKeyId(corrupt(r.getKeyId(), c.corruption())).setAlgorithm(corrupt(r.getAlgorithm(), c)).build();
            default -> m;
        };
    }

    static String method(Case c) {
        return switch (c.op()) {
            case SIGN -> c.batched() ? "BatchSign" : "Sign";
            case ENCRYPT -> "Encrypt";
            case DATA_KEY -> "GenerateDataKey";
            case PUBLIC_KEY -> "GetPublicKey";
            case METADATA -> "GetKeyMetadata";
        };
    }

    @Test
    void anyResponse_namingAnotherAlgorithmKeyOrVersion_failsWithAlgorithmMismatch() {
        Examples examples = new Examples();
        Examples.qt().forAll(cases()).checkAssert(c -> {
            examples.ran();
            fx.faults.reset();
            KeyId base = c.op() == Op.ENCRYPT || c.op() == Op.DATA_KEY ? aesKey : ecKey;
            KeyId asked = c.concreteVersion() ? base.withVersion(1) : base;
            byte[] payload = new byte[c.payloadSize()];
            CryptoClientConfig.Builder config = fx.config();
            if (c.batched()) {
                config.signBatching(64, Duration.ofNanos(100_000));
            }
            try (CryptoClient client = fx.client(config.build())) {
                if (c.op() != Op.METADATA) {
                    client.getKeyMetadata(base);
                }
                fx.faults.always(FaultInjector.rewrite(rewrite(c), method(c)));
                Thread held = c.batched() && c.op() == Op.SIGN ? holdSignInFlight(client, asked) : null;
                Object result = null;
                CryptoException e = null;
                try {
                    result = switch (c.op()) {
                        case SIGN -> client.sign(asked, payload);
                        case ENCRYPT -> client.encrypt(asked, payload, payload);
                        case DATA_KEY -> client.generateDataKey(asked, payload);
                        case PUBLIC_KEY -> client.getPublicKey(asked);
                        case METADATA -> client.getKeyMetadata(asked);
                    };
                } catch (CryptoException ex) {
                    e = ex;
                }
                if (held != null) {
                    await(held);
                    assertThat(fx.faults.count("BatchSign")).as("the sign went out in a batch").isEqualTo(1);
                }
                fx.faults.clearFaults();
                // A request for "the primary" may be answered by a newer version (a rotation); the client
                // always asks GetPublicKey for a concrete version, so there any other version is wrong.
                boolean acceptable = c.corruption() == Corruption.NONE || (c.corruption() == Corruption.OTHER_VERSION && !c.concreteVersion()
                        && c.op() != Op.PUBLIC_KEY);
                if (acceptable) {
                    assertThat(e).as("%s", c).isNull();
                    assertThat(result).isNotNull();
                } else {
                    assertThat(e).as("%s must be refused, got %s", c, result).isNotNull();
                    assertThat(e.reason()).as("%s", c).isEqualTo(Reason.ALGORITHM_MISMATCH);
                    assertThat(result).isNull();
                }
            }
        });
        examples.assertEnough();
    }

    /**
     * Starts a sign of {@code key} whose Sign RPC (not rewritten) the service holds for a moment,
     * and returns once it is in flight: a sign of the same key made now goes out in a BatchSign.
     */
    static Thread holdSignInFlight(CryptoClient client, KeyId key) {
        int before = fx.faults.count("Sign");
        fx.faults.once(FaultInjector.delay(Duration.ofMillis(30), "Sign"));
        Thread t = Thread.ofVirtual().start(() -> client.sign(key, new byte[] {0}));
        try {
            while (fx.faults.count("Sign") == before) {
                Thread.sleep(1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return t;
    }

    static void await(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void sign_responseNamingNewerVersion_isAcceptedAndDropsTheCachedMetadata() {
        try (CryptoClient client = fx.client(fx.config().build())) {
            client.getKeyMetadata(ecKey);
            fx.faults.reset();
            fx.faults.once(FaultInjector.rewrite(m -> ((SignResponse) m).toBuilder()
                    .setKeyId(((SignResponse) m).getKeyId().toBuilder().setVersion(9)).build(), "Sign"));
            SignResult s = client.sign(ecKey, new byte[] {1});
            assertThat(s.keyId().version()).isEqualTo(9);
            client.getKeyMetadata(ecKey);
            assertThat(fx.faults.count("GetKeyMetadata")).as("metadata read again after a newer version was seen").isEqualTo(1);
        }
    }
}
