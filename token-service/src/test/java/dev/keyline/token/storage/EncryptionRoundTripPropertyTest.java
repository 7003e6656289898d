package dev.keyline.token.storage;

import dev.keyline.token.TokenServerFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testing.Examples;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T9, encryption round trip, for the family store: whatever is written through
 * {@link EncryptedTokenStore} (envelope encryption under a real crypto-service key) reads back
 * unchanged, the inner storage never holds the plaintext, and an envelope moved to another key
 * fails with DECRYPTION_FAILED instead of decrypting.
 */
class EncryptionRoundTripPropertyTest {
    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static CryptoClient client;
    static InMemoryTokenStore inner;
    static EncryptedTokenStore storage;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir);
        client = TokenServerFixture.clientWithAesKey(crypto, "family-encryption");
        KeyId key = KeyId.of("token", "family-encryption");
        inner = new InMemoryTokenStore(InstantSource.system());
        // A small message budget per data key, so the examples also cross data-key refreshes.
        storage = new EncryptedTokenStore(inner, new CryptoEncryptor(EnvelopeEncryptor.builder(client, key).maxMessages(17).build()),
                k -> k.getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        client.close();
        crypto.close();
    }

    @Test
    void put_anyValue_getReturnsItAndInnerHoldsOnlyCiphertext() {
        Instant expires = Instant.now().plus(Duration.ofHours(1));
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(150)).forAll(strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 30),
                lists().of(integers().between(-128, 127)).ofSizeBetween(0, 300))
                .checkAssert((key, ints) -> {
                    examples.ran();
                    byte[] value = new byte[ints.size()];
                    for (int i = 0; i < value.length; i++) {
                        value[i] = ints.get(i).byteValue();
                    }
                    storage.put(new TokenStore.Put("fam_" + key, value, expires));
                    assertThat(storage.get("fam_" + key).orElseThrow().value()).isEqualTo(value);
                    byte[] stored = inner.get("fam_" + key).orElseThrow().value();
                    assertThat(stored.length).isGreaterThan(value.length);
                    if (value.length >= 8) {
                        assertThat(indexOf(stored, value)).isEqualTo(-1);
                    }
                });
        examples.assertAtLeast(150);
    }

    @Test
    void get_envelopeMovedToAnotherKey_failsWithIntegrityErrorCausedByDecryptionFailed() {
        Instant expires = Instant.now().plus(Duration.ofHours(1));
        Examples examples = new Examples();
        qt().withExamples(Examples.asking(100)).forAll(strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 20),
                strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 20))
                .assuming((a, b) -> !a.equals(b))
                .checkAssert((a, b) -> {
                    examples.ran();
                    storage.put(new TokenStore.Put("fam_" + a, ("family " + a).getBytes(StandardCharsets.UTF_8), expires));
                    byte[] envelope = inner.get("fam_" + a).orElseThrow().value();
                    inner.put(new TokenStore.Put("fam_" + b, envelope, expires));
                    assertThatThrownBy(() -> storage.get("fam_" + b)).isInstanceOf(StorageIntegrityException.class)
                            .cause().isInstanceOfSatisfying(CryptoException.class,
                                    e -> assertThat(e.reason()).isEqualTo(CryptoException.Reason.DECRYPTION_FAILED));
                });
        examples.assertAtLeast(100);
    }

    @Test
    void compareAndSet_encryptsEveryWrite() {
        Instant expires = Instant.now().plus(Duration.ofHours(1));
        assertThat(storage.compareAndSet(new TokenStore.Put("fam_cas", "one".getBytes(StandardCharsets.UTF_8), expires), 0,
                List.of(new TokenStore.Put("rt:x", "idx".getBytes(StandardCharsets.UTF_8), expires)))).isTrue();
        assertThat(storage.compareAndSet(new TokenStore.Put("fam_cas", "two".getBytes(StandardCharsets.UTF_8), expires), 0, List.of()))
                .isFalse();
        assertThat(storage.get("fam_cas").orElseThrow().version()).isEqualTo(1);
        assertThat(storage.get("rt:x").orElseThrow().value()).isEqualTo("idx".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(inner.get("rt:x").orElseThrow().value(), StandardCharsets.ISO_8859_1)).doesNotContain("idx");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
