package dev.keyline.platform.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.platform.Cli;
import dev.keyline.platform.Cli.Result;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CryptoCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    @TempDir
    Path work;

    static CryptoServiceFixture service;
    static Map<String, String> env;

    @BeforeAll
    static void start() {
        service = CryptoServiceFixture.start(dir);
        env = service.env();
        ok(keyline("keys", "create", "enc/aes", "--algorithm", "AES_256_GCM"));
        ok(keyline("keys", "create", "sig/p256", "--algorithm", "ECDSA_P256_SHA256"));
        ok(keyline("keys", "create", "sig/ed", "--algorithm", "ED25519"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static Result keyline(String... args) {
        return Cli.run(env, args);
    }

    static Result ok(Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void encryptThenDecrypt_throughTheJsonLine_roundTrips() throws IOException {
        Result enc = ok(keyline("encrypt", "enc/aes", "--plaintext", "hello, world", "--aad", "order-17", "--json"));
        Path line = Files.writeString(work.resolve("ct.json"), enc.out());

        Result dec = keyline("decrypt", "--from-json", line.toString(), "--aad", "order-17");

        JsonNode e = JSON.readTree(enc.out());
        assertThat(enc.out().strip().lines()).hasSize(1);
        assertThat(e.get("key_id").asText()).isEqualTo("enc/aes/1");
        assertThat(Base64.getDecoder().decode(e.get("iv").asText())).hasSize(12);
        assertThat(Base64.getDecoder().decode(e.get("tag").asText())).hasSize(16);
        assertThat(ok(dec).out()).isEqualTo("hello, world\n");
    }

    @Test
    void decrypt_fromJsonOnStdin_roundTrips() {
        Result enc = ok(keyline("encrypt", "enc/aes", "--plaintext", "via stdin", "--json"));

        Result dec = Cli.runWithStdin(env, enc.out(), "decrypt", "enc/aes/1", "--from-json", "-");

        assertThat(ok(dec).outLine()).isEqualTo("via stdin");
    }

    @Test
    void decrypt_withTheWrongAad_failsWithDecryptionFailed() throws IOException {
        Result enc = ok(keyline("encrypt", "enc/aes", "--plaintext", "bound", "--aad", "tenant-a", "--json"));
        Path line = Files.writeString(work.resolve("ct.json"), enc.out());

        Result dec = keyline("decrypt", "--from-json", line.toString(), "--aad", "tenant-b");

        assertThat(dec.exitCode()).isEqualTo(1);
        assertThat(dec.err()).startsWith("error: DECRYPTION_FAILED: ");
        assertThat(dec.out()).isEmpty();
    }

    @Test
    void decrypt_fromTheTextLineParts_roundTrips() {
        Result enc = ok(keyline("encrypt", "enc/aes", "--plaintext", "parts"));
        Matcher m = Pattern.compile("^key_id=(\\S+) ciphertext=(\\S+) iv=(\\S+) tag=(\\S+)$").matcher(enc.outLine());
        assertThat(m.matches()).as(enc.out()).isTrue();

        Result dec = keyline("decrypt", m.group(1), "--ciphertext", m.group(2), "--iv", m.group(3), "--tag", m.group(4));

        assertThat(ok(dec).outLine()).isEqualTo("parts");
    }

    @Test
    void encryptFile_thenDecryptToFile_keepsEveryByte() throws Exception {
        byte[] binary = new byte[4096];
        new java.util.Random(7).nextBytes(binary);
        Path in = Files.write(work.resolve("in.bin"), binary);
        Path out = work.resolve("out.bin");
        Result enc = ok(keyline("encrypt", "enc/aes", "--in", in.toString(), "--json"));
        Path line = Files.writeString(work.resolve("ct.json"), enc.out());

        Result dec = ok(keyline("decrypt", "--from-json", line.toString(), "--out", out.toString()));

        assertThat(Files.readAllBytes(out)).isEqualTo(binary);
        assertThat(dec.out()).isEmpty();
    }

    @Test
    void decrypt_ofBinaryPlaintextToStdout_printsBase64AndSaysSo() throws Exception {
        byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1};
        Path in = Files.write(work.resolve("in.bin"), binary);
        Path line = Files.writeString(work.resolve("ct.json"), ok(keyline("encrypt", "enc/aes", "--in", in.toString(), "--json")).out());

        Result dec = ok(keyline("decrypt", "--from-json", line.toString()));

        assertThat(Base64.getDecoder().decode(dec.outLine())).isEqualTo(binary);
        assertThat(dec.err()).contains("not UTF-8");
    }

    @Test
    void decrypt_afterRotation_stillDecryptsTheOldVersion() throws IOException {
        ok(keyline("keys", "create", "enc/rotating", "--algorithm", "AES_256_GCM"));
        Path before = Files.writeString(work.resolve("v1.json"), ok(keyline("encrypt", "enc/rotating", "--plaintext", "old", "--json")).out());
        ok(keyline("keys", "rotate", "enc/rotating"));

        Result after = ok(keyline("encrypt", "enc/rotating", "--plaintext", "new", "--json"));
        Result dec = keyline("decrypt", "--from-json", before.toString());

        assertThat(JSON.readTree(after.out()).get("key_id").asText()).isEqualTo("enc/rotating/2");
        assertThat(ok(dec).outLine()).isEqualTo("old");
    }

    @Test
    void decrypt_withoutAVersion_isAUsageError() {
        Result r = keyline("decrypt", "enc/aes", "--ciphertext", "AA==", "--iv", "AA==", "--tag", "AA==");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: 'enc/aes' has no version");
    }

    @Test
    void decrypt_withJsonForAnotherKey_isAUsageError() throws IOException {
        Path line = Files.writeString(work.resolve("ct.json"), ok(keyline("encrypt", "enc/aes", "--plaintext", "x", "--json")).out());

        Result r = keyline("decrypt", "enc/other/1", "--from-json", line.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("differs from the JSON's key_id enc/aes/1");
    }

    @Test
    void decrypt_withNotBase64_isAUsageError() {
        Result r = keyline("decrypt", "enc/aes/1", "--ciphertext", "***", "--iv", "AA==", "--tag", "AA==");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: --ciphertext is not valid base64\n");
    }

    @Test
    void encrypt_withBothPlaintextAndIn_isAUsageError() {
        Result r = keyline("encrypt", "enc/aes", "--plaintext", "a", "--in", "b");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: ").contains("mutually exclusive");
    }

    @Test
    void encrypt_unknownKey_exitsOneWithKeyNotFound() {
        Result r = keyline("encrypt", "enc/missing", "--plaintext", "x");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: KEY_NOT_FOUND: ").contains("enc/missing").doesNotContain("Exception");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void encrypt_unknownKey_throughABareCommandLine_isStillOneLine() {
        Result r = Cli.runBare(env, "encrypt", "enc/missing", "--plaintext", "x");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: KEY_NOT_FOUND: ");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void sign_withAnAesKey_failsWithAlgorithmMismatch() {
        Result r = keyline("sign", "enc/aes", "--data", "x");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ALGORITHM_MISMATCH: ");
    }

    @Test
    void signThenVerify_valid_exitsZero_tampered_exitsOne() throws IOException {
        Result sig = ok(keyline("sign", "sig/ed", "--data", "pay 10 EUR", "--json"));
        JsonNode s = JSON.readTree(sig.out());
        String keyId = s.get("key_id").asText();
        String signature = s.get("signature").asText();

        Result valid = keyline("verify", keyId, "--data", "pay 10 EUR", "--signature", signature);
        Result tamperedData = keyline("verify", keyId, "--data", "pay 99 EUR", "--signature", signature);
        byte[] bad = Base64.getDecoder().decode(signature);
        bad[5] ^= 1;
        Result tamperedSignature = keyline("verify", keyId, "--data", "pay 10 EUR", "--signature", Base64.getEncoder().encodeToString(bad),
                "--json");

        assertThat(keyId).isEqualTo("sig/ed/1");
        assertThat(s.get("algorithm").asText()).isEqualTo("ED25519");
        assertThat(valid.exitCode()).as(valid.toString()).isZero();
        assertThat(valid.outLine()).isEqualTo("valid");
        assertThat(tamperedData.exitCode()).isEqualTo(1);
        assertThat(tamperedData.outLine()).isEqualTo("invalid");
        assertThat(tamperedSignature.exitCode()).isEqualTo(1);
        assertThat(JSON.readTree(tamperedSignature.out()).get("valid").asBoolean()).isFalse();
    }

    @Test
    void verify_withoutAVersion_isAUsageError() {
        Result r = keyline("verify", "sig/ed", "--data", "x", "--signature", "AA==");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("verify needs the version sign printed");
    }

    /** The service's ECDSA signatures are DER and its PEM is SubjectPublicKeyInfo: openssl takes both as they are. */
    @Test
    void publicKeyPem_verifiesTheDerSignatureWithOpenssl() throws Exception {
        assertThat(opensslAvailable()).as("openssl is needed (CI machines have it)").isTrue();
        Path data = Files.writeString(work.resolve("data"), "a message signed by the crypto service\n");
        Path sigDer = work.resolve("sig.der");
        ok(keyline("sign", "sig/p256", "--in", data.toString(), "--out", sigDer.toString()));
        Result pem = ok(keyline("keys", "public-key", "sig/p256/1"));
        Path pub = Files.writeString(work.resolve("pub.pem"), pem.out());
        Path tampered = Files.writeString(work.resolve("tampered"), "a message signed by the crypto service?\n");

        Process good = openssl("dgst", "-sha256", "-verify", pub.toString(), "-signature", sigDer.toString(), data.toString());
        Process bad = openssl("dgst", "-sha256", "-verify", pub.toString(), "-signature", sigDer.toString(), tampered.toString());

        assertThat(pem.out()).startsWith("-----BEGIN PUBLIC KEY-----");
        assertThat(Files.readAllBytes(sigDer)[0]).isEqualTo((byte) 0x30); // a DER SEQUENCE, not raw r||s
        assertThat(good.exitValue()).isZero();
        assertThat(new String(good.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("Verified OK");
        assertThat(bad.exitValue()).isNotZero();
    }

    @Test
    void anyCommand_withAWrongToken_failsWithUnauthenticated() {
        Result r = keyline("keys", "list", "--token", "kl_not-a-real-token");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: UNAUTHENTICATED: ").contains("the token came from --token").doesNotContain("Exception");
    }

    @Test
    void anyCommand_withNoTokenAnywhere_isAUsageError() {
        Map<String, String> noToken = new HashMap<>(env);
        noToken.put("KEYLINE_DATA_DIR", work.resolve("elsewhere").toString());

        Result r = Cli.run(noToken, "keys", "list");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: no token: ").contains("KEYLINE_TOKEN");
    }

    @Test
    void anyCommand_whenNothingListens_saysTheServiceIsUnreachable() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }

        Result r = keyline("keys", "list", "--address", "127.0.0.1:" + port);

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: CRYPTO_SERVICE_UNAVAILABLE: cannot reach the crypto service at 127.0.0.1:" + port)
                .contains("./keyline up");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void address_withoutAPort_isAUsageError() {
        Result r = keyline("keys", "list", "--address", "localhost");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --address must be HOST:PORT");
    }

    private static boolean opensslAvailable() {
        try {
            return new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static Process openssl(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return p;
    }
}
