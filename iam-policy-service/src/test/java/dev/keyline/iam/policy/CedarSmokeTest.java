package dev.keyline.iam.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.entity.Entities;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.value.EntityUID;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Proves that Cedar's native library loads on this machine and answers through a role hierarchy. */
class CedarSmokeTest {

    @Test
    void isAuthorized_userInChildRoleOfPermittedRole_allowsAndNamesPolicy() throws Exception {
        PolicySet policies = PolicySet.parsePolicies("""
                @id("readers-read")
                permit(principal in Role::"reader", action == Action::"read", resource);
                """);
        Entities entities = Entities.parse("""
                [
                  {"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": [{"type": "Role", "id": "editor"}]},
                  {"uid": {"type": "Role", "id": "editor"}, "attrs": {}, "parents": [{"type": "Role", "id": "reader"}]},
                  {"uid": {"type": "Role", "id": "reader"}, "attrs": {}, "parents": []}
                ]
                """);
        var request = new AuthorizationRequest(
                EntityUID.parse("User::\"alice\"").orElseThrow(),
                EntityUID.parse("Action::\"read\"").orElseThrow(),
                EntityUID.parse("Doc::\"d1\"").orElseThrow(),
                Map.of());

        AuthorizationResponse response = new BasicAuthorizationEngine().isAuthorized(request, policies, entities);

        assertThat(response.success).isPresent();
        assertThat(response.success.orElseThrow().isAllowed()).isTrue();
        System.out.println("reasons=" + response.success.orElseThrow().getReason() + " ids=" + policies.getStaticPolicies().keySet());
    }
}
