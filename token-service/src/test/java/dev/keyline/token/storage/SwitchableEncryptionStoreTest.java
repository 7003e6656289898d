package dev.keyline.token.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.EnvelopeEncryptor;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.TokenServerFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory store behind the token service's run-time {@code cache_encryption} flag: each write
 * takes the form the flag says, every value reads back whichever form it has, sealed values keep
 * their key-and-version binding, and the tagged plaintext form is never accepted by the
 * encrypted-only store that shared storage uses.
 */
class SwitchableEncryptionStoreTest {
    private static final Function<String, byte[]> AAD = k -> k.getBytes(StandardCharsets.UTF_8);
    private static final Instant EXPIRES = Instant.now().plus(Duration.ofHours(1));

    @TempDir
    static Path dir;
    static CryptoServiceFixture crypto;
    static CryptoClient client;
    static CryptoEncryptor encryptor;

    @BeforeAll
    static void start() {
        crypto = CryptoServiceFixture.start(dir);
        client = TokenServerFixture.clientWithAesKey(crypto, "switchable-encryption");
        KeyId key = KeyId.of("token", "switchable-encryption");
        encryptor = new CryptoEncryptor(EnvelopeEncryptor.builder(client, key).build());
    }

    @AfterAll
    static void stop() {
        client.close();
        crypto.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(new String(needle, StandardCharsets.ISO_8859_1));
    }

    @Test
    void writes_underEitherFlagValue_takeThatFormAndAllReadBackAfterEverySwitch() {
        InMemoryTokenStore inner = new InMemoryTokenStore(InstantSource.system());
        AtomicBoolean on = new AtomicBoolean(true);
        SwitchableEncryptionStore store = new SwitchableEncryptionStore(inner, encryptor, AAD, on::get);

        store.put(new TokenStore.Put("fam_sealed", bytes("family sealed-record"), EXPIRES));
        on.set(false);
        store.put(new TokenStore.Put("fam_plain", bytes("family plain-record"), EXPIRES));
        // A compare-and-set while off rewrites the sealed record in plaintext, with its version moving on.
        assertThat(store.compareAndSet(new TokenStore.Put("fam_sealed", bytes("family sealed-record v2"), EXPIRES), 1, List.of())).isTrue();
        on.set(true);
        assertThat(store.compareAndSet(new TokenStore.Put("fam_plain", bytes("family plain-record v2"), EXPIRES), 1,
                List.of(new TokenStore.Put("rt:index", bytes("index-entry"), EXPIRES)))).isTrue();

        for (boolean flag : new boolean[] {true, false}) {
            on.set(flag);
            assertThat(store.get("fam_sealed").orElseThrow()).isEqualTo(new TokenStore.Stored(bytes("family sealed-record v2"), 2));
            assertThat(store.get("fam_plain").orElseThrow()).isEqualTo(new TokenStore.Stored(bytes("family plain-record v2"), 2));
            assertThat(store.get("rt:index").orElseThrow().value()).isEqualTo(bytes("index-entry"));
        }
        // What the inner store holds: plaintext exactly where the flag was off at the write.
        assertThat(contains(inner.get("fam_sealed").orElseThrow().value(), bytes("sealed-record v2"))).isTrue();
        assertThat(contains(inner.get("fam_plain").orElseThrow().value(), bytes("plain-record v2"))).isFalse();
        assertThat(contains(inner.get("rt:index").orElseThrow().value(), bytes("index-entry"))).isFalse();
    }

    @Test
    void get_sealedValueMovedOrUnknownForm_failsWithIntegrityError() {
        InMemoryTokenStore inner = new InMemoryTokenStore(InstantSource.system());
        SwitchableEncryptionStore store = new SwitchableEncryptionStore(inner, encryptor, AAD, () -> true);
        store.put(new TokenStore.Put("fam_a", bytes("family a"), EXPIRES));
        byte[] sealedA = inner.get("fam_a").orElseThrow().value();

        inner.put(new TokenStore.Put("fam_b", sealedA, EXPIRES));
        assertThatThrownBy(() -> store.get("fam_b")).isInstanceOf(StorageIntegrityException.class);
        byte[] unknownForm = sealedA.clone();
        unknownForm[0] = 7;
        inner.put(new TokenStore.Put("fam_c", unknownForm, EXPIRES));
        assertThatThrownBy(() -> store.get("fam_c")).isInstanceOf(StorageIntegrityException.class).hasMessageContaining("unknown form");
        inner.put(new TokenStore.Put("fam_d", new byte[0], EXPIRES));
        assertThatThrownBy(() -> store.get("fam_d")).isInstanceOf(StorageIntegrityException.class);
    }

    /** Shared storage is always the encrypted-only store: a value in the switchable store's plaintext form is refused there. */
    @Test
    void encryptedTokenStore_plaintextFormWritten_isRefusedNeverRead() {
        InMemoryTokenStore inner = new InMemoryTokenStore(InstantSource.system());
        SwitchableEncryptionStore switchable = new SwitchableEncryptionStore(inner, encryptor, AAD, () -> false);
        switchable.put(new TokenStore.Put("fam_x", bytes("family forged by a storage writer"), EXPIRES));
        EncryptedTokenStore encryptedOnly = new EncryptedTokenStore(inner, encryptor, AAD);

        assertThat(switchable.get("fam_x").orElseThrow().value()).isEqualTo(bytes("family forged by a storage writer"));
        assertThatThrownBy(() -> encryptedOnly.get("fam_x")).isInstanceOf(StorageIntegrityException.class);
    }
}
