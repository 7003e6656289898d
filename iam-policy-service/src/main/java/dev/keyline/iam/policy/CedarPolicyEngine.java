package dev.keyline.iam.policy;

import com.cedarpolicy.AuthorizationEngine;
import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.AuthorizationSuccessResponse;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.exception.BadRequestException;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.Value;
import dev.keyline.iam.IamException;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.decision.Verdict;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PolicyEngine} over a Cedar policy directory (see {@link PolicyDirectory} for its
 * layout).
 *
 * <h2>Entities of a request</h2>
 * The subject becomes the Cedar principal {@code <type>::"<id>"}, the resource the resource, and
 * the action {@code Action::"<action>"}. When the directory defines the same entity, its parents
 * (roles) and attributes come from the directory: a caller can add attributes the directory does
 * not define, but can neither claim a role nor override a stored attribute. An entity the directory
 * does not know is evaluated with the request's attributes and no parents. The context becomes
 * Cedar's {@code context} record.
 *
 * <h2>Consistency</h2>
 * The loaded set lives in one {@link AtomicReference}; an evaluation reads it once, so it sees one
 * complete set, whose version its {@link Evaluation} carries. {@link #reload()} builds and checks
 * the new set entirely before the single swap, and reloads are serialized.
 */
public final class CedarPolicyEngine implements PolicyEngine {
    private static final Logger LOG = LoggerFactory.getLogger(CedarPolicyEngine.class);
    private static final String ACTION_TYPE = "Action";

    private final Path directory;
    private final InstantSource clock;
    private final AuthorizationEngine cedar = new BasicAuthorizationEngine();
    private final AtomicReference<LoadedPolicies> current;

    private CedarPolicyEngine(Path directory, InstantSource clock) {
        this.directory = directory;
        this.clock = clock;
        this.current = new AtomicReference<>(PolicyDirectory.load(directory, cedar, clock.instant()));
    }

    /** Loads {@code directory}; fails with {@code POLICY_INVALID} listing every problem. */
    public static CedarPolicyEngine load(Path directory, InstantSource clock) {
        return new CedarPolicyEngine(Objects.requireNonNull(directory, "directory"), Objects.requireNonNull(clock, "clock"));
    }

    public Path directory() {
        return directory;
    }

    @Override
    public PolicySetInfo current() {
        return current.get().info();
    }

    @Override
    public synchronized ReloadResult reload() {
        LoadedPolicies before = current.get();
        LoadedPolicies next;
        try {
            next = PolicyDirectory.load(directory, cedar, clock.instant());
        } catch (IamException e) {
            if (e.reason() != IamException.Reason.POLICY_INVALID) {
                throw e;
            }
            LOG.atWarn().addKeyValue("directory", directory.toString()).addKeyValue("version", before.info().version())
                    .addKeyValue("problems", e.problems()).log("policy reload refused; the running policy set stays: {}", e.getMessage());
            return new ReloadResult.Refused(before.info().version(), e.problems());
        }
        if (next.info().version().equals(before.info().version())) {
            return new ReloadResult.Unchanged(before.info());
        }
        current.set(next);
        LOG.atInfo().addKeyValue("version", next.info().version()).addKeyValue("previous_version", before.info().version())
                .addKeyValue("policies", next.info().policyIds().size()).log("policy set reloaded");
        return new ReloadResult.Loaded(next.info(), before.info().version());
    }

    @Override
    public Evaluation evaluate(AuthorizationRequest request) {
        LoadedPolicies set = current.get();
        EntityUID principal = CedarValues.uid(request.subject().type(), request.subject().id());
        EntityUID resource = CedarValues.uid(request.resource().type(), request.resource().id());
        EntityUID action = CedarValues.uid(ACTION_TYPE, request.action());
        Map<String, Value> context = CedarValues.toCedar(request.context());

        Map<EntityUID, Entity> roots = new LinkedHashMap<>();
        roots.put(principal, merged(set.entities(), principal, request.subject()));
        roots.merge(resource, merged(set.entities(), resource, request.resource()), CedarPolicyEngine::union);
        List<EntityUID> refs = new ArrayList<>(CedarValues.references(context.values()));
        refs.add(action);
        Set<Entity> entities = set.entities().slice(roots, refs);

        AuthorizationResponse response;
        try {
            response = cedar.isAuthorized(new com.cedarpolicy.model.AuthorizationRequest(principal, action, resource, context),
                    set.policies(), entities);
        } catch (BadRequestException e) {
            throw new IamException(IamException.Reason.INVALID_ARGUMENT, "Cedar refused the request: " + String.join("; ", e.getErrors()), e);
        } catch (AuthException e) {
            throw new IamException(IamException.Reason.INTERNAL, "Cedar failed: " + PolicyDirectory.cedarMessage(e), e);
        }
        if (response.success.isEmpty()) {
            String errors = response.errors.map(l -> String.join("; ", l.stream().map(d -> d.message).toList())).orElse("no detail");
            throw new IamException(IamException.Reason.INVALID_ARGUMENT, "Cedar could not evaluate the request: " + errors);
        }
        AuthorizationSuccessResponse s = response.success.get();
        List<String> determining = new ArrayList<>(s.getReason());
        Verdict verdict;
        if (s.isAllowed()) {
            verdict = new Verdict.Allowed(determining);
        } else if (determining.isEmpty()) {
            verdict = new Verdict.NotPermitted();
        } else {
            verdict = new Verdict.Forbidden(determining);
        }
        List<String> errors = s.getErrors().stream().map(e -> e.getPolicyId() + ": " + e.getError().message).sorted().toList();
        return new Evaluation(verdict, errors, set.info().version());
    }

    /** The request's view of an entity, with the directory's parents and attributes taking precedence. */
    private static Entity merged(EntityGraph graph, EntityUID uid, RequestEntity fromRequest) {
        Map<String, Value> attrs = CedarValues.toCedar(fromRequest.attributes());
        Entity stored = graph.get(uid);
        if (stored == null) {
            return new Entity(uid, attrs, Set.of());
        }
        attrs.putAll(stored.attrs);
        return new Entity(uid, attrs, stored.getParents(), stored.getTags() == null ? Map.of() : stored.getTags());
    }

    /** The subject and the resource are the same entity: one entity with both attribute sets. */
    private static Entity union(Entity a, Entity b) {
        Map<String, Value> attrs = new HashMap<>(b.attrs);
        attrs.putAll(a.attrs);
        return new Entity(a.getEUID(), attrs, a.getParents(), a.getTags() == null ? Map.of() : a.getTags());
    }

    @Override
    public String toString() {
        return "CedarPolicyEngine[" + directory + ", version " + current().version() + "]";
    }
}
