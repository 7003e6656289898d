package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * T12 and I8 — configuration validation. Any set of invalid settings fails at construction with
 * one INVALID_CONFIG exception that names every invalid field (and no secret); valid settings
 * always build. Key ids are accepted exactly when they are {@code namespace/id[/version]}.
 */
class CryptoClientConfigPropertyTest {
    private static final String TOKEN = "kl_secret-token-value";

    /** Every setting, so that one can be spoiled at a time. */
    static final class Settings {
        List<String> endpoints = new ArrayList<>(List.of("127.0.0.1:50051"));
        Duration timeout = Duration.ofSeconds(2);
        String token = TOKEN;
        String encryptionKeyId = "cache/families/0";
        String signingKeyId = "token/jwt";
        Duration ttl = Duration.ofMinutes(1);
        float threshold = 50f;
        int window = 10;
        int minimum = 5;
        Duration open = Duration.ofSeconds(30);
        int halfOpen = 2;
        int attempts = 3;
        double jitter = 0.5;
        int rate = 0;
        long maxMessages = 1000;
        int batchItems = 64;
        Duration linger = Duration.ZERO;
        boolean fallbackWithoutKeys;
        boolean clientCertWithoutKey;
        boolean cacheEncryptionWithoutKey;

        CryptoClientConfig.Builder builder() {
            CryptoClientConfig.Builder b = CryptoClientConfig.builder().endpoints(endpoints).timeout(timeout).authToken(token)
                    .encryptionKeyId(encryptionKeyId).signingKeyId(signingKeyId).keyMetadataTtl(ttl)
                    .circuitBreaker(threshold, window, minimum, open, halfOpen)
                    .retry(attempts, Duration.ofMillis(10), Duration.ofSeconds(1), 2.0, jitter)
                    .rateLimit(rate, Duration.ofSeconds(1))
                    .dataKeyLimits(Duration.ofMinutes(5), maxMessages, 1 << 20, Duration.ofSeconds(10))
                    .signBatching(batchItems, linger);
            if (fallbackWithoutKeys) {
                b.fallbackEnabled(true);
            }
            if (clientCertWithoutKey) {
                b.tlsEnabled(true).tlsClientCertificate(Path.of("/etc/hostname"), null);
            }
            if (cacheEncryptionWithoutKey) {
                b.encryptionKeyId("").cacheEncryption(true);
            }
            return b;
        }
    }

    /** One way to make one field invalid, and the field the error must name. */
    record Spoil(String field, Consumer<Settings> apply) {
        @Override
        public String toString() {
            return field;
        }
    }

    static final List<Spoil> SPOILS = List.of(
            new Spoil("endpoints", s -> s.endpoints = new ArrayList<>()),
            new Spoil("endpoints[0]", s -> s.endpoints = new ArrayList<>(List.of("no-port"))),
            new Spoil("endpoints[1]", s -> s.endpoints = new ArrayList<>(List.of("a:1", "b:70000"))),
            new Spoil("timeout", s -> s.timeout = Duration.ZERO),
            new Spoil("authToken", s -> s.token = ""),
            new Spoil("authToken", s -> s.token = TOKEN + " with space"),
            new Spoil("encryptionKeyId", s -> s.encryptionKeyId = "Cache/families"),
            new Spoil("encryptionKeyId", s -> s.encryptionKeyId = "cache/families/01"),
            new Spoil("signingKeyId", s -> s.signingKeyId = "token"),
            new Spoil("signingKeyId", s -> s.signingKeyId = "token/jwt/1/2"),
            new Spoil("signingKeyId", s -> s.signingKeyId = "keyline-fallback/jwt"),
            new Spoil("keyMetadataTtl", s -> s.ttl = Duration.ofSeconds(-1)),
            new Spoil("failureRateThreshold", s -> s.threshold = 0f),
            new Spoil("failureRateThreshold", s -> s.threshold = 101f),
            new Spoil("minimumNumberOfCalls", s -> s.minimum = 11),
            new Spoil("waitDurationInOpenState", s -> s.open = Duration.ZERO),
            new Spoil("permittedCallsInHalfOpenState", s -> s.halfOpen = 0),
            new Spoil("maxAttempts", s -> s.attempts = 0),
            new Spoil("maxAttempts", s -> s.attempts = 11),
            new Spoil("backoffJitter", s -> s.jitter = 1.0),
            new Spoil("rateLimitPerPeriod", s -> s.rate = -5),
            new Spoil("dataKeyMaxMessages", s -> s.maxMessages = 0),
            new Spoil("signBatchMaxItems", s -> s.batchItems = 0),
            new Spoil("signBatchMaxItems", s -> s.batchItems = 1001),
            new Spoil("signBatchLinger", s -> s.linger = Duration.ofNanos(-1)),
            new Spoil("signBatchLinger", s -> s.linger = Duration.ofSeconds(5)),
            new Spoil("fallbackAesKeyFile", s -> s.fallbackWithoutKeys = true),
            new Spoil("tlsClientCertificate", s -> s.clientCertWithoutKey = true),
            new Spoil("encryptionKeyId", s -> s.cacheEncryptionWithoutKey = true));

    /** A set of spoils touching distinct setting groups (two spoils of one setting would overwrite each other). */
    static Gen<List<Spoil>> spoils() {
        return lists().of(Generate.pick(SPOILS)).ofSizeBetween(0, 8).map(list -> {
            List<Spoil> out = new ArrayList<>();
            Set<String> groups = new LinkedHashSet<>();
            for (Spoil s : list) {
                if (groups.add(group(s))) {
                    out.add(s);
                }
            }
            return out;
        });
    }

    private static String group(Spoil s) {
        return s.field().startsWith("endpoints") ? "endpoints" : s.field();
    }

    @Test
    void build_anySetOfInvalidFields_failsOnceNamingEveryFieldAndNoSecret() {
        Examples examples = new Examples();
        Examples.qt().forAll(spoils()).checkAssert(spoils -> {
            examples.ran();
            Settings settings = new Settings();
            spoils.forEach(s -> s.apply().accept(settings));
            CryptoClientConfig.Builder b = settings.builder();
            CryptoException e = catchThrowableOfType(CryptoException.class, b::build);
            if (spoils.isEmpty()) {
                assertThat(e).isNull();
                assertThat(b.problems()).isEmpty();
                return;
            }
            assertThat(e).as("spoiled %s", spoils).isNotNull();
            assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIG);
            List<String> problems = b.problems();
            assertThat(problems).hasSizeGreaterThanOrEqualTo(spoils.size());
            assertThat(e.getMessage()).contains("(" + problems.size() + " problem").contains(String.join("; ", problems));
            for (Spoil s : spoils) {
                assertThat(problems).as("a problem naming %s", s.field()).anyMatch(p -> p.startsWith(s.field() + ": "));
            }
            assertThat(e.getMessage()).doesNotContain(TOKEN);
        });
        examples.assertEnough();
    }

    @Test
    void build_anyValidSettings_buildsAndKeepsTheValues() {
        Examples examples = new Examples();
        Gen<Integer> seconds = integers().between(1, 600);
        Examples.qt().forAll(seconds, integers().between(1, 10), booleans().all(), keyIds(true)).checkAssert((s, attempts, tls, keyId) -> {
            examples.ran();
            CryptoClientConfig c = CryptoClientConfig.builder().endpoints(List.of("a.example:443", "10.0.0.2:50051", "[::1]:1"))
                    .timeout(Duration.ofSeconds(s)).authToken(TOKEN).tlsEnabled(tls).encryptionKeyId(keyId).signingKeyId(keyId)
                    .retry(attempts, Duration.ofMillis(s), Duration.ofMillis(s * 2L), 1.5, 0.2).cacheEncryption(true).signing(true)
                    .signBatching(attempts * 100, Duration.ofMillis(s % 101)).build();
            assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(s));
            assertThat(c.signBatchMaxItems()).isEqualTo(attempts * 100);
            assertThat(c.signBatchLinger()).isEqualTo(Duration.ofMillis(s % 101));
            assertThat(c.maxAttempts()).isEqualTo(attempts);
            assertThat(c.encryptionKeyId()).contains(KeyId.parse(keyId));
            assertThat(c.toString()).doesNotContain(TOKEN).contains("token=redacted");
        });
        examples.assertEnough();
    }

    private static final Pattern KEY_ID = Pattern.compile(
            "[a-z0-9][a-z0-9._-]{0,63}/[a-z0-9][a-z0-9._-]{0,63}(/(0|[1-9][0-9]{0,8}))?");

    /** Key-id-like text: mostly valid shapes when {@code valid}, otherwise anything from a hostile alphabet. */
    static Gen<String> keyIds(boolean valid) {
        String alphabet = valid ? "abcz09._-" : "aZ09._-/+ é";
        Gen<String> segment = Generate.byteArrays(integers().between(valid ? 1 : 0, 6),
                Generate.bytes((byte) 0, (byte) (alphabet.length() - 1), (byte) 0)).map(b -> {
                    StringBuilder sb = new StringBuilder();
                    for (byte x : b) {
                        sb.append(alphabet.charAt(x));
                    }
                    return sb.toString();
                });
        if (valid) {
            Gen<String> version = Generate.pick(List.of("", "/0", "/1", "/42", "/999999999"));
            return segment.map(x -> "k" + x).zip(segment.map(x -> "i" + x), version, (ns, id, v) -> ns + "/" + id + v);
        }
        Gen<String> version = Generate.pick(List.of("", "/", "/0", "/7", "/07", "/+7", "/-1", "/x", "/1/2", "/99999999999"));
        return segment.zip(segment, version, booleans().all(), (ns, id, v, slash) -> ns + (slash ? "/" : "") + id + v);
    }

    @Test
    void build_anyKeyIdText_acceptedExactlyWhenItIsNamespaceIdVersion() {
        // I8: invalid key id formats and missing required fields fail with a descriptive error.
        Examples examples = new Examples();
        Examples.qt().forAll(keyIds(false).mix(keyIds(true), 30), booleans().all(), booleans().all())
                .checkAssert((keyId, withEndpoint, withToken) -> {
                    examples.ran();
                    CryptoClientConfig.Builder b = CryptoClientConfig.builder().signingKeyId(keyId).signing(true);
                    if (withEndpoint) {
                        b.endpoint("localhost:50051");
                    }
                    if (withToken) {
                        b.authToken(TOKEN);
                    }
                    boolean keyOk = KEY_ID.matcher(keyId).matches();
                    CryptoException e = catchThrowableOfType(CryptoException.class, b::build);
                    if (keyOk && withEndpoint && withToken) {
                        assertThat(e).as("'%s' is a valid key id", keyId).isNull();
                        return;
                    }
                    assertThat(e).as("'%s' endpoint=%s token=%s", keyId, withEndpoint, withToken).isNotNull();
                    assertThat(e.reason()).isEqualTo(Reason.INVALID_CONFIG);
                    if (!keyOk) {
                        assertThat(e.getMessage()).contains(keyId.isEmpty() ? "signingKeyId: is required" : "signingKeyId: '" + keyId + "'");
                    }
                    if (!withEndpoint) {
                        assertThat(e.getMessage()).contains("endpoints: at least one host:port is required");
                    }
                    if (!withToken) {
                        assertThat(e.getMessage()).contains("authToken: is required");
                    }
                });
        examples.assertEnough();
    }

    @Test
    void build_fallbackInDevelopmentModeWithoutKeys_generatesEphemeralKeysWithAWarning() {
        try (LogCapture log = LogCapture.of(FallbackKeys.class)) {
            CryptoClientConfig c = CryptoClientConfig.builder().endpoint("localhost:1").authToken(TOKEN).fallbackEnabled(true)
                    .fallbackMode(CryptoClientConfig.FallbackMode.DEVELOPMENT).build();
            assertThat(c.fallbackKeys().aead()).isPresent();
            assertThat(c.fallbackKeys().signer()).isPresent();
            assertThat(c.toString()).contains("EPHEMERAL");
            assertThat(log.events()).singleElement().satisfies(ev -> {
                assertThat(ev.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                assertThat(ev.getFormattedMessage()).contains("EPHEMERAL");
            });
        }
    }

    @Test
    void build_fallbackKeyFiles_loadsThemAndRejectsMismatchedPairs(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        var random = new java.security.SecureRandom();
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        Path aes = tmp.resolve("aes.key");
        java.nio.file.Files.writeString(aes, java.util.Base64.getEncoder().encodeToString(raw) + "\n");
        var providers = dev.keyline.crypto.core.provider.CryptoProviders.defaults();
        var k1 = dev.keyline.crypto.core.signing.SigningKey.generate(dev.keyline.crypto.core.keys.KeyAlgorithm.ECDSA_P256_SHA256, random, providers);
        var k2 = dev.keyline.crypto.core.signing.SigningKey.generate(dev.keyline.crypto.core.keys.KeyAlgorithm.ECDSA_P256_SHA256, random, providers);
        Path good = tmp.resolve("good.pem");
        java.nio.file.Files.writeString(good, pkcs8Pem(k1) + k1.verifyingKey().pem());
        Path mismatched = tmp.resolve("bad.pem");
        java.nio.file.Files.writeString(mismatched, pkcs8Pem(k1) + k2.verifyingKey().pem());

        CryptoClientConfig ok = CryptoClientConfig.builder().endpoint("localhost:1").authToken(TOKEN).fallbackEnabled(true)
                .fallbackAesKeyFile(aes).fallbackSigningKeyFile(good).build();
        assertThat(ok.fallbackKeys().aead()).isPresent();
        assertThat(ok.fallbackKeys().signer().orElseThrow().verifyingKey()).isEqualTo(k1.verifyingKey());

        CryptoException e = catchThrowableOfType(CryptoException.class, () -> CryptoClientConfig.builder().endpoint("localhost:1")
                .authToken(TOKEN).fallbackEnabled(true).fallbackAesKeyFile(tmp.resolve("missing")).fallbackSigningKeyFile(mismatched).build());
        assertThat(e.getMessage()).contains("fallbackAesKeyFile: ").contains("fallbackSigningKeyFile: ")
                .contains("not the public half");
        assertThat(e.getMessage()).doesNotContain(java.util.Base64.getEncoder().encodeToString(raw));
    }

    private static String pkcs8Pem(dev.keyline.crypto.core.signing.SigningKey k) {
        return "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder().encodeToString(k.pkcs8().toByteArray())
                + "\n-----END PRIVATE KEY-----\n";
    }
}
