package dev.keyline.crypto.core.keys;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KeyAlgorithmTest {

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void fromJws_jwsNameOfAnyAlgorithm_givesThatAlgorithm(KeyAlgorithm algorithm) {
        algorithm.jwsAlgorithm().ifPresent(alg -> assertThat(KeyAlgorithm.fromJws(alg)).contains(algorithm));
        assertThat(algorithm.jwsAlgorithm().isPresent()).isEqualTo(algorithm != KeyAlgorithm.AES_256_GCM);
    }

    @Test
    void fromJws_unknownOrNoneAlgorithm_isEmpty() {
        assertThat(KeyAlgorithm.fromJws("none")).isEmpty();
        assertThat(KeyAlgorithm.fromJws("es256")).isEmpty();
        assertThat(KeyAlgorithm.fromJws("ES512")).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(KeyAlgorithm.class)
    void purposeFlags_anyAlgorithm_matchItsPurpose(KeyAlgorithm algorithm) {
        KeyAlgorithm.Purpose purpose = algorithm.purpose();

        assertThat(algorithm.canEncrypt()).isEqualTo(purpose == KeyAlgorithm.Purpose.ENCRYPTION);
        assertThat(algorithm.canSign()).isEqualTo(purpose != KeyAlgorithm.Purpose.ENCRYPTION);
        assertThat(algorithm.isAsymmetric()).isEqualTo(purpose == KeyAlgorithm.Purpose.SIGNING);
    }
}
