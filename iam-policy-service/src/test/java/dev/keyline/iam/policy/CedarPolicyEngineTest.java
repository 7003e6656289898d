package dev.keyline.iam.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyline.iam.IamException;
import dev.keyline.iam.decision.AttributeValue;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.decision.Verdict;
import dev.keyline.iam.testing.PolicyDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Cedar engine over real policy directories: RBAC through role parents, ids, reloads, refusals. */
class CedarPolicyEngineTest {
    @TempDir
    Path tmp;

    private static Evaluation ask(PolicyEngine e, String user, String action, String doc) {
        return e.evaluate(AuthorizationRequest.of(RequestEntity.of("User", user), action, RequestEntity.of("Document", doc)));
    }

    @Test
    void evaluate_userTwoRolesBelowPermittedRole_isAllowedThroughTheHierarchy() {
        CedarPolicyEngine e = CedarPolicyEngine.load(PolicyDirs.demo(tmp), InstantSource.system());

        // alice is admin; admin ⊂ editor ⊂ viewer: viewers-read applies to her two levels up.
        Evaluation alice = ask(e, "alice", "read", "roadmap");
        Evaluation carol = ask(e, "carol", "read", "roadmap");
        Evaluation dave = ask(e, "dave", "read", "roadmap");

        assertThat(alice.verdict()).isEqualTo(new Verdict.Allowed(java.util.List.of("admins-everything", "viewers-read")));
        assertThat(carol.verdict()).isEqualTo(new Verdict.Allowed(java.util.List.of("viewers-read")));
        assertThat(dave.allowed()).isFalse();
        assertThat(dave.policyName()).isEqualTo("default-deny");
        assertThat(alice.policyVersion()).isEqualTo(e.current().version()).hasSize(16);
    }

    @Test
    void evaluate_forbidMatches_overridesPermitAndNamesTheForbid() {
        CedarPolicyEngine e = CedarPolicyEngine.load(PolicyDirs.demo(tmp), InstantSource.system());

        // carol owns salaries and is a viewer, but it is confidential and she is not an admin.
        Evaluation carol = ask(e, "carol", "read", "salaries");
        Evaluation alice = ask(e, "alice", "read", "salaries");

        assertThat(carol.verdict()).isEqualTo(new Verdict.Forbidden(java.util.List.of("confidential-admins-only")));
        assertThat(carol.reasons()).containsExactly("forbidden by policy confidential-admins-only");
        assertThat(alice.allowed()).isTrue();
    }

    @Test
    void evaluate_attributeConditionOnStoredEntity_usesTheDirectoryEntity() {
        CedarPolicyEngine e = CedarPolicyEngine.load(PolicyDirs.demo(tmp), InstantSource.system());

        assertThat(ask(e, "bob", "delete", "roadmap").verdict()).isEqualTo(new Verdict.Allowed(java.util.List.of("owners-delete")));
        assertThat(ask(e, "carol", "delete", "roadmap").allowed()).isFalse();
    }

    @Test
    void evaluate_requestClaimsAnotherOwner_cannotOverrideTheStoredAttribute() {
        CedarPolicyEngine e = CedarPolicyEngine.load(PolicyDirs.demo(tmp), InstantSource.system());
        RequestEntity forged = new RequestEntity("Document", "roadmap", Map.of("owner", new AttributeValue.EntityRef("User", "carol")));

        Evaluation r = e.evaluate(AuthorizationRequest.of(RequestEntity.of("User", "carol"), "delete", forged));

        assertThat(r.allowed()).isFalse();
    }

    @Test
    void evaluate_unknownResourceWithRequestAttributes_usesThem() {
        CedarPolicyEngine e = CedarPolicyEngine.load(PolicyDirs.demo(tmp), InstantSource.system());
        RequestEntity mine = new RequestEntity("Document", "new-doc", Map.of("classification", new AttributeValue.Text("internal"),
                "owner", new AttributeValue.EntityRef("User", "dave")));
        RequestEntity secret = new RequestEntity("Document", "new-secret", Map.of("classification", new AttributeValue.Text("confidential")));

        assertThat(e.evaluate(AuthorizationRequest.of(RequestEntity.of("User", "dave"), "delete", mine)).allowed()).isTrue();
        assertThat(e.evaluate(AuthorizationRequest.of(RequestEntity.of("User", "bob"), "write", secret)).verdict())
                .isInstanceOf(Verdict.Forbidden.class);
    }

    @Test
    void evaluate_unknownUserWithoutRoles_isDeniedByDefault() {
        CedarPolicyEngine e = CedarPolicyEngine.load(PolicyDirs.demo(tmp), InstantSource.system());

        Evaluation r = ask(e, "mallory", "read", "handbook");

        assertThat(r.verdict()).isEqualTo(new Verdict.NotPermitted());
        assertThat(r.reasons()).containsExactly("no policy permits this request (default deny)");
    }

    @Test
    void evaluate_conditionOnMissingAttribute_reportsThePolicyErrorAndDenies() {
        Path dir = PolicyDirs.of(tmp.resolve("p"), Map.of("p.cedar", "permit(principal, action, resource) when { context.level > 3 };"));
        CedarPolicyEngine e = CedarPolicyEngine.load(dir, InstantSource.system());

        Evaluation without = ask(e, "a", "read", "d");
        Evaluation with = e.evaluate(new AuthorizationRequest(RequestEntity.of("User", "a"), "read", RequestEntity.of("Document", "d"),
                Map.of("level", new AttributeValue.Int(4))));

        assertThat(without.allowed()).isFalse();
        assertThat(without.errors()).singleElement().asString().startsWith("p.0: ");
        assertThat(with.verdict()).isEqualTo(new Verdict.Allowed(java.util.List.of("p.0")));
    }

    @Test
    void load_policiesWithoutIdAnnotation_areNamedAfterFileAndPosition() {
        Path dir = PolicyDirs.of(tmp.resolve("p"), Map.of("rules.cedar", """
                permit(principal, action == Action::"a", resource);
                @id("named")
                permit(principal, action == Action::"b", resource);
                permit(principal, action == Action::"c", resource);
                """));

        CedarPolicyEngine e = CedarPolicyEngine.load(dir, InstantSource.system());

        assertThat(e.current().policyIds()).containsExactly("named", "rules.0", "rules.2");
        assertThat(ask(e, "u", "c", "d").policyName()).isEqualTo("rules.2");
    }

    @Test
    void load_invalidDirectories_areRefusedWithEveryProblem() {
        Path bad = PolicyDirs.of(tmp.resolve("bad"), Map.of(
                "a.cedar", "@id(\"x\") permit(principal, action, resource);",
                "b.cedar", "@id(\"x\") permit(principal, action, resource);\npermit(principal, action, resource) when { ",
                "entities.json", """
                        [{"uid":{"type":"Role","id":"a"},"attrs":{},"parents":[{"type":"Role","id":"b"}]},
                         {"uid":{"type":"Role","id":"b"},"attrs":{},"parents":[{"type":"Role","id":"a"}]}]"""));

        assertThatThrownBy(() -> CedarPolicyEngine.load(bad, InstantSource.system())).isInstanceOfSatisfying(IamException.class, ex -> {
            assertThat(ex.reason()).isEqualTo(IamException.Reason.POLICY_INVALID);
            assertThat(ex.problems()).anySatisfy(p -> assertThat(p).startsWith("b.cedar: not valid Cedar"));
            assertThat(ex.problems()).anySatisfy(p -> assertThat(p).contains("cycle").contains("Role::\"a\""));
        });
        assertThatThrownBy(() -> CedarPolicyEngine.load(PolicyDirs.of(tmp.resolve("dup"), Map.of("a.cedar",
                "@id(\"x\") permit(principal, action, resource);", "b.cedar", "@id(\"x\") forbid(principal, action, resource);")),
                InstantSource.system())).isInstanceOfSatisfying(IamException.class,
                        ex -> assertThat(ex.problems()).anySatisfy(p -> assertThat(p).contains("'x' is used more than once")));
        assertThatThrownBy(() -> CedarPolicyEngine.load(PolicyDirs.of(tmp.resolve("empty"), Map.of("entities.json", "[]")),
                InstantSource.system())).isInstanceOfSatisfying(IamException.class,
                        ex -> assertThat(ex.problems()).anySatisfy(p -> assertThat(p).startsWith("no *.cedar policy file")));
    }

    @Test
    void load_policyThatDoesNotFitTheSchema_isRefused() {
        Path dir = PolicyDirs.demo(tmp);
        PolicyDirs.of(dir, Map.of("typo.cedar", "permit(principal, action == Action::\"read\", resource is Document) when { resource.clasification == \"public\" };"));

        assertThatThrownBy(() -> CedarPolicyEngine.load(dir, InstantSource.system())).isInstanceOfSatisfying(IamException.class,
                ex -> assertThat(ex.problems()).anySatisfy(p -> assertThat(p).contains("typo.0").contains("schema.cedarschema")));
    }

    @Test
    void load_demoDirectory_isSchemaValidatedWithItsEntities() {
        CedarPolicyEngine e = CedarPolicyEngine.load(PolicyDirs.demo(tmp), InstantSource.system());

        assertThat(e.current().schemaValidated()).isTrue();
        assertThat(e.current().entityCount()).isEqualTo(10);
        assertThat(e.current().policyIds()).containsExactly("admins-everything", "confidential-admins-only", "editors-write", "owners-delete",
                "viewers-read");
    }

    @Test
    void reload_invalidChange_isRefusedAndTheRunningSetStays() throws Exception {
        Path dir = PolicyDirs.demo(tmp);
        CedarPolicyEngine e = CedarPolicyEngine.load(dir, InstantSource.system());
        String before = e.current().version();
        Files.writeString(dir.resolve("admin.cedar"), "permit(principal in Role::\"admin\", action, resource"); // unclosed

        ReloadResult r = e.reload();

        assertThat(r).isInstanceOfSatisfying(ReloadResult.Refused.class, f -> {
            assertThat(f.currentVersion()).isEqualTo(before);
            assertThat(f.problems()).singleElement().asString().startsWith("admin.cedar: not valid Cedar");
        });
        assertThat(e.current().version()).isEqualTo(before);
        assertThat(ask(e, "alice", "delete", "handbook").allowed()).isTrue();
    }

    @Test
    void reload_validChange_swapsToTheNewVersion_andSameContentIsUnchanged() throws Exception {
        Path dir = PolicyDirs.demo(tmp);
        CedarPolicyEngine e = CedarPolicyEngine.load(dir, InstantSource.system());
        String before = e.current().version();
        Files.writeString(dir.resolve("admin.cedar"), "@id(\"admins-read-only\")\npermit(principal in Role::\"admin\", action == Action::\"read\", resource);");

        ReloadResult r = e.reload();
        ReloadResult again = e.reload();

        assertThat(r).isInstanceOfSatisfying(ReloadResult.Loaded.class, l -> assertThat(l.previousVersion()).isEqualTo(before));
        assertThat(again).isInstanceOf(ReloadResult.Unchanged.class);
        assertThat(e.current().version()).isNotEqualTo(before);
        assertThat(e.current().policyIds()).contains("admins-read-only").doesNotContain("admins-everything");
        assertThat(ask(e, "alice", "delete", "handbook").allowed()).isFalse();
    }

    @Test
    void watcher_validFileChange_reloadsWithoutAnyCall_andInvalidOneIsRefused() throws Exception {
        Path dir = PolicyDirs.demo(tmp);
        CedarPolicyEngine e = CedarPolicyEngine.load(dir, InstantSource.system());
        String before = e.current().version();
        var results = new CopyOnWriteArrayList<ReloadResult>();
        PolicyWatcher watcher = PolicyWatcher.start(e, dir, Duration.ofMillis(100), results::add);
        try {
            PolicyDirs.replaceAtomically(dir, "extra.cedar", "@id(\"dave-reads\") permit(principal == User::\"dave\", action == Action::\"read\", resource);");
            awaitResults(results, 1);
            String afterValid = e.current().version();
            PolicyDirs.replaceAtomically(dir, "extra.cedar", "this is not cedar");
            awaitResults(results, 2);

            assertThat(results.get(0)).isInstanceOf(ReloadResult.Loaded.class);
            assertThat(afterValid).isNotEqualTo(before);
            assertThat(results.get(1)).isInstanceOf(ReloadResult.Refused.class);
            assertThat(e.current().version()).isEqualTo(afterValid);
            assertThat(ask(e, "dave", "read", "handbook").policyName()).isEqualTo("dave-reads");
        } finally {
            watcher.close();
        }
    }

    private static void awaitResults(java.util.List<ReloadResult> results, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (results.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(results).as("reloads triggered by the watcher").hasSizeGreaterThanOrEqualTo(n);
    }
}
