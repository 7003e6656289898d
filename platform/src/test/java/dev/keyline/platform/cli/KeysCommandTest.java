package dev.keyline.platform.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyline.platform.Cli;
import dev.keyline.platform.Cli.Result;
import dev.keyline.testsupport.CryptoServiceFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static CryptoServiceFixture service;
    static Map<String, String> env;

    @BeforeAll
    static void start() {
        service = CryptoServiceFixture.start(dir);
        env = service.env();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static Result keyline(String... args) {
        return Cli.run(env, args);
    }

    static JsonNode json(Result r) throws Exception {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void create_withAlgorithm_printsTheFirstVersion() {
        Result r = keyline("keys", "create", "create/hello", "--algorithm", "AES_256_GCM");

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLine()).isEqualTo("created create/hello/1 (AES_256_GCM, ENABLED)");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void create_withJwsNameAndRotationPeriod_json_showsBoth() throws Exception {
        JsonNode m = json(keyline("keys", "create", "create/es", "--algorithm", "es256", "--rotation-period", "P30D", "--json"));

        assertThat(m.get("key").asText()).isEqualTo("create/es");
        assertThat(m.get("algorithm").asText()).isEqualTo("ECDSA_P256_SHA256");
        assertThat(m.get("rotation_period").asText()).isEqualTo("P30D");
        assertThat(m.get("primary_version").asInt()).isEqualTo(1);
        assertThat(m.get("versions")).hasSize(1);
    }

    @Test
    void create_withUnknownAlgorithm_failsAsUsageError() {
        Result r = keyline("keys", "create", "create/bad", "--algorithm", "DES");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: unknown algorithm 'DES'").contains("AES_256_GCM").doesNotContain("Exception");
    }

    @Test
    void create_withVersionInName_failsAsUsageError() {
        Result r = keyline("keys", "create", "create/v/3", "--algorithm", "AES_256_GCM");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("this command takes NS/ID");
    }

    @Test
    void create_existingKey_failsWithOneLine() {
        keyline("keys", "create", "create/twice", "--algorithm", "AES_256_GCM");

        Result r = keyline("keys", "create", "create/twice", "--algorithm", "AES_256_GCM");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: INVALID_ARGUMENT: ").contains("create/twice");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void create_withMalformedKeyId_failsAsUsageError() {
        Result r = keyline("keys", "create", "Not A Key", "--algorithm", "AES_256_GCM");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: bad key id 'Not A Key'");
    }

    @Test
    void list_withNamespace_showsOnlyThatNamespaceInATable() {
        keyline("keys", "create", "lista/one", "--algorithm", "AES_256_GCM");
        keyline("keys", "create", "lista/two", "--algorithm", "ED25519");
        keyline("keys", "create", "listb/three", "--algorithm", "AES_256_GCM");

        Result r = keyline("keys", "list", "lista");

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out().lines().toList()).hasSize(3);
        assertThat(r.out().lines().findFirst().orElseThrow()).startsWith("KEY").contains("ALGORITHM", "STATE", "PRIMARY");
        assertThat(r.out()).contains("lista/one", "lista/two", "ED25519").doesNotContain("listb/three");
        // Columns line up: every row starts its ALGORITHM cell where the header does.
        int col = r.out().lines().findFirst().orElseThrow().indexOf("ALGORITHM");
        assertThat(r.out().lines().skip(1)).allSatisfy(line -> assertThat(line.charAt(col - 1)).isEqualTo(' '))
                .allSatisfy(line -> assertThat(line.charAt(col)).isNotEqualTo(' '));
    }

    @Test
    void list_json_givesEveryKeyOfTheNamespace() throws Exception {
        keyline("keys", "create", "listj/a", "--algorithm", "AES_256_GCM");
        keyline("keys", "create", "listj/b", "--algorithm", "HMAC_SHA256");

        JsonNode r = json(keyline("keys", "list", "listj", "--json"));

        assertThat(r.get("keys")).extracting(k -> k.get("key").asText()).containsExactlyInAnyOrder("listj/a", "listj/b");
    }

    @Test
    void list_emptyNamespace_saysSo() {
        Result r = keyline("keys", "list", "nothing-here");

        assertThat(r.exitCode()).isZero();
        assertThat(r.outLine()).isEqualTo("no keys in namespace nothing-here");
    }

    @Test
    void rotate_thenShow_hasTwoVersionsAndTheNewPrimary() throws Exception {
        keyline("keys", "create", "rot/k", "--algorithm", "AES_256_GCM");

        Result rotated = keyline("keys", "rotate", "rot/k");
        Result shown = keyline("keys", "show", "rot/k");
        JsonNode m = json(keyline("keys", "show", "rot/k", "--json"));

        assertThat(rotated.outLine()).isEqualTo("rotated rot/k: the primary is now version 2");
        assertThat(shown.out()).contains("primary version  2").containsPattern("(?m)^2\\s+ENABLED\\s+\\S+\\s+primary$")
                .containsPattern("(?m)^1\\s+ENABLED\\s+\\S+$");
        assertThat(m.get("primary_version").asInt()).isEqualTo(2);
        assertThat(m.get("versions")).extracting(v -> v.get("version").asInt()).containsExactly(1, 2);
    }

    @Test
    void minDecryptionVersion_raised_oldCiphertextNoLongerDecrypts() throws Exception {
        keyline("keys", "create", "mdv/k", "--algorithm", "AES_256_GCM");
        JsonNode old = json(keyline("encrypt", "mdv/k", "--plaintext", "old", "--json"));
        keyline("keys", "rotate", "mdv/k");

        Result raised = keyline("keys", "min-decryption-version", "mdv/k", "2");
        Result refused = keyline("decrypt", old.get("key_id").asText(), "--ciphertext", old.get("ciphertext").asText(),
                "--iv", old.get("iv").asText(), "--tag", old.get("tag").asText());

        assertThat(raised.outLine()).isEqualTo("versions of mdv/k below 2 can no longer decrypt, verify or sign");
        assertThat(json(keyline("keys", "show", "mdv/k", "--json")).get("min_decryption_version").asInt()).isEqualTo(2);
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).startsWith("error: KEY_STATE_INVALID: ").contains("below min_decryption_version 2");
    }

    @Test
    void minDecryptionVersion_lowerOrAbovePrimary_failsWithTypedErrorAndKeepsIt() throws Exception {
        keyline("keys", "create", "mdv/low", "--algorithm", "AES_256_GCM");
        keyline("keys", "rotate", "mdv/low");
        keyline("keys", "min-decryption-version", "mdv/low", "2");

        Result lower = keyline("keys", "min-decryption-version", "mdv/low", "1");
        Result above = keyline("keys", "min-decryption-version", "mdv/low", "3");
        Result zero = keyline("keys", "min-decryption-version", "mdv/low", "0");

        assertThat(lower.exitCode()).isEqualTo(1);
        assertThat(lower.err()).startsWith("error: KEY_STATE_INVALID: ").contains("never lowered");
        assertThat(above.exitCode()).isEqualTo(1);
        assertThat(above.err()).startsWith("error: INVALID_ARGUMENT: ");
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(json(keyline("keys", "show", "mdv/low", "--json")).get("min_decryption_version").asInt()).isEqualTo(2);
    }

    @Test
    void show_unknownKey_exitsOneWithKeyNotFound() {
        Result r = keyline("keys", "show", "nope/missing");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: KEY_NOT_FOUND: ").contains("nope/missing").contains("correlation_id")
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void disable_thenEncrypt_failsWithKeyStateInvalid_andEnableRestoresIt() throws Exception {
        keyline("keys", "create", "state/k", "--algorithm", "AES_256_GCM");

        Result disabled = keyline("keys", "disable", "state/k");
        Result refused = keyline("encrypt", "state/k", "--plaintext", "x");
        Result enabled = keyline("keys", "enable", "state/k");
        Result works = keyline("encrypt", "state/k", "--plaintext", "x");

        assertThat(disabled.outLine()).isEqualTo("disabled state/k");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).startsWith("error: KEY_STATE_INVALID: ");
        assertThat(enabled.outLine()).isEqualTo("enabled state/k");
        assertThat(works.exitCode()).as(works.toString()).isZero();
        assertThat(json(keyline("keys", "show", "state/k", "--json")).get("state").asText()).isEqualTo("ENABLED");
    }

    @Test
    void disable_oneVersion_leavesTheKeyAndOtherVersionsEnabled() throws Exception {
        keyline("keys", "create", "state/v", "--algorithm", "AES_256_GCM");
        keyline("keys", "rotate", "state/v");

        Result r = keyline("keys", "disable", "state/v/1", "--json");

        JsonNode m = json(r);
        assertThat(m.get("state").asText()).isEqualTo("ENABLED");
        assertThat(m.get("versions").get(0).get("state").asText()).isEqualTo("DISABLED");
        assertThat(m.get("versions").get(1).get("state").asText()).isEqualTo("ENABLED");
    }

    @Test
    void scheduleDeletion_thenCancelDeletion_leavesTheKeyDisabled() throws Exception {
        keyline("keys", "create", "del/k", "--algorithm", "AES_256_GCM");

        Result scheduled = keyline("keys", "schedule-deletion", "del/k");
        JsonNode pending = json(keyline("keys", "show", "del/k", "--json"));
        Result cancelled = keyline("keys", "cancel-deletion", "del/k");
        JsonNode after = json(keyline("keys", "show", "del/k", "--json"));

        assertThat(scheduled.exitCode()).as(scheduled.toString()).isZero();
        assertThat(scheduled.outLine()).startsWith("scheduled the deletion of del/k: its material will be destroyed at ");
        assertThat(pending.get("state").asText()).isEqualTo("PENDING_DELETION");
        assertThat(pending.get("deletion_at").isTextual()).isTrue();
        assertThat(cancelled.exitCode()).as(cancelled.toString()).isZero();
        assertThat(cancelled.outLine()).startsWith("cancelled the deletion of del/k; it is DISABLED now");
        assertThat(after.get("state").asText()).isEqualTo("DISABLED");
        assertThat(after.get("deletion_at").isNull()).isTrue();
    }

    @Test
    void scheduleDeletion_ofOneVersion_thenCancel_disablesOnlyThatVersion() throws Exception {
        keyline("keys", "create", "del/v", "--algorithm", "AES_256_GCM");
        keyline("keys", "rotate", "del/v");

        JsonNode pending = json(keyline("keys", "schedule-deletion", "del/v/1", "--json"));
        JsonNode cancelled = json(keyline("keys", "cancel-deletion", "del/v/1", "--json"));

        assertThat(pending.get("versions").get(0).get("state").asText()).isEqualTo("PENDING_DELETION");
        assertThat(pending.get("versions").get(0).get("deletion_at").isTextual()).isTrue();
        assertThat(cancelled.get("versions").get(0).get("state").asText()).isEqualTo("DISABLED");
        assertThat(cancelled.get("state").asText()).isEqualTo("ENABLED");
    }

    @Test
    void cancelDeletion_ofAnEnabledKey_failsAndLeavesItEnabled() throws Exception {
        keyline("keys", "create", "del/live", "--algorithm", "AES_256_GCM");

        Result r = keyline("keys", "cancel-deletion", "del/live");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: KEY_STATE_INVALID: del/live is ENABLED, not PENDING_DELETION");
        assertThat(json(keyline("keys", "show", "del/live", "--json")).get("state").asText()).isEqualTo("ENABLED");
    }

    @Test
    void publicKey_ofAnAesKey_failsWithOneLine() {
        keyline("keys", "create", "pub/aes", "--algorithm", "AES_256_GCM");

        Result r = keyline("keys", "public-key", "pub/aes");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void publicKey_jwk_namesTheConcreteVersion() throws Exception {
        keyline("keys", "create", "pub/ed", "--algorithm", "ED25519");
        keyline("keys", "rotate", "pub/ed");

        Result r = keyline("keys", "public-key", "pub/ed", "--jwk");

        JsonNode jwk = json(r);
        assertThat(jwk.get("kty").asText()).isEqualTo("OKP");
        assertThat(jwk.get("crv").asText()).isEqualTo("Ed25519");
        assertThat(jwk.get("kid").asText()).isEqualTo("pub/ed/2");
    }

    @Test
    void keysWithoutSubcommand_printsUsageAndExitsTwo() {
        Result r = keyline("keys");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: keyline keys").contains("schedule-deletion");
    }

    @Test
    void unknownOption_isOneLineUsageError() {
        Result r = keyline("keys", "list", "--colour");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: Unknown option: '--colour'").contains("Try 'keyline keys list --help'");
    }
}
