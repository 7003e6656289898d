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

class CallersCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static CryptoServiceFixture service;
    static Map<String, String> admin;

    @BeforeAll
    static void start() {
        service = CryptoServiceFixture.start(dir);
        admin = service.env();
        ok(Cli.run(admin, "keys", "create", "apps/data", "--algorithm", "AES_256_GCM"));
        ok(Cli.run(admin, "keys", "create", "other/data", "--algorithm", "AES_256_GCM"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static Result ok(Result r) {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void create_printsATokenThatWorksInsideItsGrantsOnly() throws Exception {
        Result created = ok(Cli.run(admin, "callers", "create", "app-one", "--grants", "apps:encrypt,decrypt"));
        String token = created.outLine();
        Map<String, String> app = service.envWithToken(token);

        Result inside = Cli.run(app, "encrypt", "apps/data", "--plaintext", "mine", "--json");
        Result otherNamespace = Cli.run(app, "encrypt", "other/data", "--plaintext", "not mine");
        Result manage = Cli.run(app, "keys", "rotate", "apps/data");

        assertThat(token).startsWith("kl_").doesNotContainAnyWhitespaces();
        assertThat(created.err()).contains("created caller app-one with grants apps:encrypt,decrypt").contains("shown only now");
        assertThat(inside.exitCode()).as(inside.toString()).isZero();
        assertThat(JSON.readTree(inside.out()).get("key_id").asText()).isEqualTo("apps/data/1");
        assertThat(otherNamespace.exitCode()).isEqualTo(1);
        assertThat(otherNamespace.err()).startsWith("error: PERMISSION_DENIED: ").contains("app-one").contains("other");
        assertThat(manage.exitCode()).isEqualTo(1);
        assertThat(manage.err()).startsWith("error: PERMISSION_DENIED: ");
    }

    @Test
    void create_forTokenService_grantsTheLeastItNeedsAndListsItsKeys() throws Exception {
        ok(Cli.run(admin, "keys", "create", "token/jwt-signing", "--algorithm", "ECDSA_P256_SHA256"));
        Result created = ok(Cli.run(admin, "callers", "create", "token-svc", "--for", "token-service"));
        Map<String, String> svc = service.envWithToken(created.outLine());

        Result signs = Cli.run(svc, "sign", "token/jwt-signing", "--data", "header.payload");
        Result rotates = Cli.run(svc, "keys", "rotate", "token/jwt-signing");
        Result creates = Cli.run(svc, "keys", "create", "token/other", "--algorithm", "AES_256_GCM");
        Result otherNamespace = Cli.run(svc, "encrypt", "apps/data", "--plaintext", "x");

        assertThat(created.err()).contains("created caller token-svc with grants token:decrypt,sign,data-key,read")
                .contains("keyline keys create token/jwt-signing --algorithm ECDSA_P256_SHA256")
                .contains("keyline keys create token/family-encryption --algorithm AES_256_GCM")
                .contains("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN");
        assertThat(signs.exitCode()).as(signs.toString()).isZero();
        assertThat(rotates.exitCode()).as("a service token cannot rotate").isEqualTo(1);
        assertThat(rotates.err()).startsWith("error: PERMISSION_DENIED: ");
        assertThat(creates.exitCode()).as("nor create keys").isEqualTo(1);
        assertThat(otherNamespace.exitCode()).as("nor leave its namespace").isEqualTo(1);
    }

    @Test
    void create_forIamPolicyService_json_listsGrantAndKeys() throws Exception {
        JsonNode m = JSON.readTree(ok(Cli.run(admin, "callers", "create", "iam-svc", "--for", "iam-policy-service", "--json")).out());

        assertThat(m.get("grants").asText()).isEqualTo("iam:decrypt,sign,verify,data-key,read");
        assertThat(m.get("keys_to_create")).extracting(JsonNode::asText)
                .containsExactly("keyline keys create iam/decision-signing --algorithm ECDSA_P256_SHA256",
                        "keyline keys create iam/decision-cache --algorithm AES_256_GCM");
    }

    @Test
    void create_withNeitherOrBothOfGrantsAndFor_orAnUnknownService_isAUsageError() {
        Result neither = Cli.run(admin, "callers", "create", "app-none");
        Result both = Cli.run(admin, "callers", "create", "app-both", "--grants", "apps:encrypt", "--for", "token-service");
        Result unknown = Cli.run(admin, "callers", "create", "app-unknown", "--for", "mail-service");

        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).contains("exactly one of --grants and --for");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown service 'mail-service'").contains("token-service, iam-policy-service");
    }

    @Test
    void create_json_includesTheTokenOnce() throws Exception {
        Result r = ok(Cli.run(admin, "callers", "create", "app-json", "--grants", "apps:*", "--json"));

        JsonNode m = JSON.readTree(r.out());
        assertThat(m.get("name").asText()).isEqualTo("app-json");
        assertThat(m.get("grants").asText()).isEqualTo("apps:*");
        assertThat(m.get("token").asText()).startsWith("kl_");
        assertThat(ok(Cli.run(service.envWithToken(m.get("token").asText()), "keys", "show", "apps/data")).out()).contains("apps/data");
    }

    @Test
    void create_anExistingName_failsUnlessReplace() {
        ok(Cli.run(admin, "callers", "create", "app-twice", "--grants", "apps:encrypt"));

        Result again = Cli.run(admin, "callers", "create", "app-twice", "--grants", "apps:decrypt");
        Result replaced = Cli.run(admin, "callers", "create", "app-twice", "--grants", "apps:decrypt", "--replace");

        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).startsWith("error: caller app-twice already exists; pass --replace");
        assertThat(replaced.exitCode()).as(replaced.toString()).isZero();
        assertThat(replaced.err()).contains("replaced caller app-twice with grants apps:decrypt");
    }

    @Test
    void create_withAnUnknownOperation_isAUsageError() {
        Result r = Cli.run(admin, "callers", "create", "app-bad", "--grants", "apps:encrypt,fly");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: INVALID_ARGUMENT: unknown operation 'fly'");
    }

    @Test
    void create_withoutAKeyStore_refusesToCreateOne(@TempDir Path empty) {
        Result r = Cli.run(admin, "callers", "create", "app-x", "--grants", "apps:encrypt", "--data-dir", empty.toString());

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: no key store in ");
        assertThat(empty.toFile().list()).isEmpty();
    }

    @Test
    void list_showsNamesAndGrants_neverTokens() throws Exception {
        ok(Cli.run(admin, "callers", "create", "app-listed", "--grants", "apps:sign,verify;other:read"));

        Result table = ok(Cli.run(admin, "callers", "list"));
        JsonNode json = JSON.readTree(ok(Cli.run(admin, "callers", "list", "--json")).out());

        assertThat(table.out().lines().findFirst().orElseThrow()).startsWith("NAME").contains("GRANTS", "CREATED");
        assertThat(table.out()).containsPattern("(?m)^admin\\s+\\*:\\*").containsPattern("(?m)^app-listed\\s+apps:sign,verify;other:read")
                .doesNotContain("kl_");
        assertThat(json.get("callers")).extracting(c -> c.get("name").asText()).contains("admin", "app-listed");
    }

    @Test
    void revoke_thenItsToken_isRejected() {
        String token = ok(Cli.run(admin, "callers", "create", "app-revoked", "--grants", "apps:encrypt")).outLine();

        Result revoked = Cli.run(admin, "callers", "revoke", "app-revoked");
        Result used = Cli.run(service.envWithToken(token), "encrypt", "apps/data", "--plaintext", "x");

        assertThat(revoked.exitCode()).as(revoked.toString()).isZero();
        assertThat(revoked.outLine()).startsWith("revoked caller app-revoked");
        assertThat(used.exitCode()).isEqualTo(1);
        assertThat(used.err()).startsWith("error: UNAUTHENTICATED: ").contains("$KEYLINE_TOKEN");
    }

    @Test
    void revoke_anUnknownCaller_fails() {
        Result r = Cli.run(admin, "callers", "revoke", "nobody");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: no caller named nobody");
    }
}
