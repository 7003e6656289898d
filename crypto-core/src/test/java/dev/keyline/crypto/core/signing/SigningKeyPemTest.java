package dev.keyline.crypto.core.signing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.provider.CryptoProviders;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class SigningKeyPemTest {
    private static final CryptoProviders P = CryptoProviders.defaults();

    @Test
    void keyPairPem_roundTrip_signsWithTheSameKey() {
        SigningKey k = SigningKey.generate(KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom(), P);
        SigningKey back = SigningKey.fromKeyPairPem(KeyAlgorithm.ECDSA_P256_SHA256, k.keyPairPem(), P);
        byte[] data = "data".getBytes();
        assertThat(k.verifyingKey().verify(data, back.sign(data))).isTrue();
        assertThat(back.verifyingKey()).isEqualTo(k.verifyingKey());
    }

    @Test
    void fromKeyPairPem_mismatchedHalvesMissingBlockOrWrongAlgorithm_failsWithoutKeyBytes() {
        SigningKey a = SigningKey.generate(KeyAlgorithm.ED25519, new SecureRandom(), P);
        SigningKey b = SigningKey.generate(KeyAlgorithm.ED25519, new SecureRandom(), P);
        String privateOfA = a.keyPairPem().substring(0, a.keyPairPem().indexOf("-----BEGIN PUBLIC KEY-----"));
        assertThatThrownBy(() -> SigningKey.fromKeyPairPem(KeyAlgorithm.ED25519, privateOfA + b.verifyingKey().pem(), P))
                .isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.getMessage()).contains("not the public half"));
        assertThatThrownBy(() -> SigningKey.fromKeyPairPem(KeyAlgorithm.ED25519, privateOfA, P))
                .isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.getMessage()).contains("PUBLIC KEY block")
                        .doesNotContain(privateOfA.substring(30, 60)));
        assertThatThrownBy(() -> SigningKey.fromKeyPairPem(KeyAlgorithm.ECDSA_P256_SHA256, a.keyPairPem(), P))
                .isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.getMessage()).contains("is not a ECDSA_P256_SHA256 key pair"));
    }
}
