package dev.keyline.crypto.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.testing.TestPki;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client over TLS and mutual TLS to a real crypto service on loopback, with certificates
 * made by openssl: the configured CA, client certificate and server name are what decide whether
 * a call goes through, and a refused handshake is a typed, transient CRYPTO_SERVICE_UNAVAILABLE.
 */
class ClientTlsTest {
    private static final KeyId SIGNING = KeyId.of("tls", "signer");

    @TempDir
    static Path dir;
    static CryptoServiceFixture fixture;
    static CryptoServer server;
    static String token;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = TestPki.create(dir, "ca", "keyline-client-test-ca");
        pki.issue("server", "IP:127.0.0.1,DNS:crypto.keyline.test");
        pki.issue("client", "");
        // Another CA, which the client may be told to trust by mistake.
        TestPki.create(dir, "other", "some-other-ca");
        fixture = CryptoServiceFixture.builder(dir.resolve("data")).withoutHttp()
                .settings(b -> b.tls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"))).start();
        server = fixture.server();
        token = fixture.adminToken();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static CryptoClientConfig.Builder tls() {
        return CryptoClientConfig.builder().endpoint("127.0.0.1:" + server.grpcPort()).authToken(token).tlsEnabled(true)
                .timeout(Duration.ofSeconds(5)).retry(1, Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0);
    }

    @Test
    void mutualTls_withTheCaAndAClientCertificate_signsAndVerifies() {
        try (CryptoClient client = CryptoClientFactory.create(tls().tlsTrustCertificates(dir.resolve("ca.pem"))
                .tlsClientCertificate(dir.resolve("client.pem"), dir.resolve("client.key")).build())) {
            client.generateKey(SIGNING, KeyAlgorithm.ECDSA_P256_SHA256, Duration.ZERO);
            byte[] data = "over tls".getBytes(StandardCharsets.UTF_8);

            SignResult signed = client.sign(SIGNING, data);

            assertThat(client.verify(signed.keyId(), data, signed.signature())).isTrue();
            assertThat(client.healthCheck().status()).isEqualTo(HealthStatus.Status.UP);
        }
    }

    @Test
    void serverName_differentFromTheAddress_isCheckedAgainstTheCertificate() {
        try (CryptoClient named = CryptoClientFactory.create(tls().tlsTrustCertificates(dir.resolve("ca.pem"))
                .tlsClientCertificate(dir.resolve("client.pem"), dir.resolve("client.key")).tlsServerName("crypto.keyline.test").build());
                CryptoClient wrongName = CryptoClientFactory.create(tls().tlsTrustCertificates(dir.resolve("ca.pem"))
                        .tlsClientCertificate(dir.resolve("client.pem"), dir.resolve("client.key")).tlsServerName("elsewhere.test").build())) {
            // The certificate names crypto.keyline.test: the handshake goes through and the service answers.
            assertThatThrownBy(() -> named.getKeyMetadata(KeyId.of("tls", "absent")))
                    .isInstanceOfSatisfying(CryptoException.class, e -> assertThat(e.reason()).isEqualTo(Reason.KEY_NOT_FOUND));
            assertUnavailable(() -> wrongName.getKeyMetadata(KeyId.of("tls", "absent")));
        }
    }

    @Test
    void withoutAClientCertificate_theServerRefusesTheHandshake() {
        try (CryptoClient client = CryptoClientFactory.create(tls().tlsTrustCertificates(dir.resolve("ca.pem")).build())) {
            assertUnavailable(() -> client.getKeyMetadata(KeyId.of("tls", "any")));
        }
    }

    @Test
    void trustingAnotherCa_theClientRefusesTheServer() {
        try (CryptoClient client = CryptoClientFactory.create(tls().tlsTrustCertificates(dir.resolve("other.pem"))
                .tlsClientCertificate(dir.resolve("client.pem"), dir.resolve("client.key")).build())) {
            assertUnavailable(() -> client.getKeyMetadata(KeyId.of("tls", "any")));
        }
    }

    @Test
    void plaintextClient_againstTheTlsService_failsTyped() {
        try (CryptoClient client = CryptoClientFactory.create(CryptoClientConfig.builder().endpoint("127.0.0.1:" + server.grpcPort())
                .authToken(token).timeout(Duration.ofSeconds(5)).retry(1, Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0).build())) {
            assertUnavailable(() -> client.getKeyMetadata(KeyId.of("tls", "any")));
        }
    }

    private static void assertUnavailable(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CryptoException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.CRYPTO_SERVICE_UNAVAILABLE);
            assertThat(e.correlationId()).isNotEmpty();
        });
    }
}
