package dev.keyline.token.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.kit.config.ConfigException;
import dev.keyline.testsupport.CryptoServiceFixture;
import dev.keyline.token.RedisFixture;
import dev.keyline.token.TokenServerFixture;
import dev.keyline.token.jwt.LocalSigner;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configuration problems found only while the server starts (a key file that is not a key, an
 * address in use, a broken clients file, a tampered shared key) are the same one
 * {@link ConfigException} as those found while reading the settings, each problem naming its
 * field or variable.
 */
class TokenServerStartConfigTest {
    @TempDir
    Path dir;

    /** Local signing, memory storage, no crypto service: starts with nothing else configured. */
    private TokenServerConfig.Builder local() {
        Path key = dir.resolve("local-" + System.nanoTime() + ".pem");
        LocalSigner.writeNewKeyFile(key, KeyAlgorithm.ECDSA_P256_SHA256, new SecureRandom());
        return TokenServerConfig.builder().httpPort(0).managementPort(0).clients(TokenServerFixture.clients())
                .signer(TokenServerConfig.SignerKind.LOCAL).localKeyFile(key).cacheEncryption(false);
    }

    private static ConfigException refused(TokenServerConfig config) {
        try (TokenServer unexpected = TokenServer.start(config)) {
            throw new AssertionError("started with " + config);
        } catch (ConfigException e) {
            assertThat(e.subject()).isEqualTo("token service");
            return e;
        }
    }

    @Test
    void start_keyFilesThatAreNotKeys_isAConfigExceptionNamingTheField() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN PRIVATE KEY-----\nnot a key\n");
        Path notBase64 = Files.writeString(dir.resolve("hmac.key"), "%%% not base64 %%%");

        assertThat(refused(local().localKeyFile(garbage).build()).problems()).singleElement().asString()
                .startsWith("localKeyFile: ").contains("garbage.pem");
        assertThat(refused(local().fallbackKeyFile(garbage).build()).problems()).singleElement().asString()
                .startsWith("fallbackKeyFile: ").contains("garbage.pem");
        assertThat(refused(local().fallbackHmacKeyFile(notBase64).build()).problems()).singleElement().asString()
                .startsWith("fallbackHmacKeyFile: ").contains("hmac.key");
    }

    @Test
    void start_refreshHmacKeyFileNotBase64OrTooShort_isAConfigExceptionThatNeverShowsTheKey() throws IOException {
        Path notBase64 = Files.writeString(dir.resolve("refresh-bad.key"), "%%% not base64 %%%");
        Path shortKey = Files.writeString(dir.resolve("refresh-short.key"), Base64.getEncoder().encodeToString(new byte[16]));
        String goodValue = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        Path good = Files.writeString(dir.resolve("refresh-good.key"), goodValue);

        assertThat(refused(local().refreshHmacKeyFile(notBase64).build()).problems()).singleElement().asString()
                .startsWith("refreshHmacKeyFile: ").endsWith("is not base64").doesNotContain("%%%");
        ConfigException tooShort = refused(local().refreshHmacKeyFile(shortKey).build());
        assertThat(tooShort.problems()).singleElement().asString().startsWith("refreshHmacKeyFile: ").contains("at least 32 bytes");
        assertThat(tooShort.getMessage()).doesNotContain(Files.readString(shortKey));
        try (TokenServer started = TokenServer.start(local().refreshHmacKeyFile(good).build())) {
            assertThat(started.port()).isPositive();
        }
    }

    @Test
    void start_onAnAddressInUse_isAConfigExceptionNamingTheVariables() throws IOException {
        int http = freePort();
        int management = freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThat(refused(local().httpPort(http).managementPort(port).build()).problems()).singleElement().asString()
                    .startsWith("KEYLINE_TOKEN_MANAGEMENT_HOST/KEYLINE_TOKEN_MANAGEMENT_PORT (managementHost/managementPort): cannot listen on 127.0.0.1:"
                            + port + ": ");
            assertThat(refused(local().httpPort(port).managementPort(management).build()).problems()).singleElement().asString()
                    .startsWith("KEYLINE_TOKEN_HTTP_HOST/KEYLINE_TOKEN_HTTP_PORT (httpHost/httpPort): cannot listen on 127.0.0.1:" + port + ": ");
        }
        // Nothing was left listening: the first refused start had bound the public port before the management port failed.
        try (TokenServer started = TokenServer.start(local().httpPort(http).managementPort(management).build())) {
            assertThat(started.port()).isEqualTo(http);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void start_clientsFileWithBadEntries_listsEachEntryUnderClientsFile() throws IOException {
        Path clients = Files.writeString(dir.resolve("clients.yaml"), """
                clients:
                  - id: "bad id with spaces"
                    secret_hash: sha256:00
                  - id: ok
                    grants: [no_such_grant]
                """);

        ConfigException e = refused(local().clientsFile(clients).build());

        assertThat(e.problems()).hasSize(2).allSatisfy(p -> assertThat(p).startsWith("clientsFile: " + clients + ": clients["));
    }

    /**
     * The refresh-token key shared through Redis, written back from another state (its version
     * witness no longer matches): the service refuses to start rather than make a new key, which
     * would invalidate every stored refresh token without anyone deciding it.
     */
    @Test
    void start_sharedRefreshKeyInRedisTampered_isAConfigExceptionNamingTheKeyPrefix() {
        try (RedisFixture redis = new RedisFixture(); CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"))) {
            TokenServerConfig config = TokenServerFixture.config(crypto, dir).storage(TokenServerConfig.StorageKind.REDIS)
                    .redisUrl(RedisFixture.URL).redisPrefix(redis.prefix + "token-start:").build();
            try (TokenServer first = TokenServer.start(config)) {
                assertThat(first.port()).isPositive();
            }
            redis.redis().set(redis.prefix + "token-start:token-mac-key#v", "7".getBytes(StandardCharsets.US_ASCII));

            ConfigException e = refused(config);

            assertThat(e.problems()).singleElement().asString().startsWith("redisPrefix: the shared refresh-token key in Redis (token-mac-key")
                    .contains("fails its integrity check");
        }
    }

    @Test
    void start_invalidSettings_isTheSameConfigExceptionAsValidateLists() {
        TokenServerConfig c = local().maxRequestBytes(1).refreshReuseGrace(java.time.Duration.ofHours(1)).build();

        assertThatThrownBy(() -> TokenServer.start(c)).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).isEqualTo(c.validate()).hasSize(2));
    }
}
