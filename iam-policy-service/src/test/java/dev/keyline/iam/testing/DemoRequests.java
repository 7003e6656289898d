package dev.keyline.iam.testing;

import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.iam.decision.AttributeValue;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.RequestEntity;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.quicktheories.core.Gen;

/** Requests over the demo directory's users, actions and documents, as domain values and as JSON. */
public final class DemoRequests {
    public static final List<String> USERS = List.of("alice", "bob", "carol", "dave", "zed");
    public static final List<String> ACTIONS = List.of("read", "write", "comment", "delete");
    public static final List<String> DOCS = List.of("roadmap", "handbook", "salaries", "unknown-doc");

    private DemoRequests() {
    }

    /** A request; {@code nonce} ≥ 0 goes into the context (a distinct cache key), -1 means no context. */
    public static AuthorizationRequest of(String user, String action, String doc, int nonce) {
        Map<String, AttributeValue> context = nonce < 0 ? Map.of() : Map.of("nonce", new AttributeValue.Int(nonce));
        return new AuthorizationRequest(RequestEntity.of("User", user), action, RequestEntity.of("Document", doc), context);
    }

    public static AuthorizationRequest random() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        // Half without a nonce, so the same requests repeat and are served from the cache.
        return of(USERS.get(r.nextInt(USERS.size())), ACTIONS.get(r.nextInt(ACTIONS.size())), DOCS.get(r.nextInt(DOCS.size())),
                r.nextBoolean() ? -1 : r.nextInt(1_000_000));
    }

    public static Gen<AuthorizationRequest> gen() {
        return arbitrary().pick(USERS).zip(arbitrary().pick(ACTIONS), arbitrary().pick(DOCS), integers().between(-1, 1_000_000),
                DemoRequests::of);
    }

    public static String json(AuthorizationRequest r) {
        ObjectNode n = Http.JSON.createObjectNode();
        n.putObject("subject").put("type", r.subject().type()).put("id", r.subject().id());
        n.put("action", r.action());
        n.putObject("resource").put("type", r.resource().type()).put("id", r.resource().id());
        ObjectNode ctx = n.putObject("context");
        r.context().forEach((k, v) -> ctx.put(k, ((AttributeValue.Int) v).value()));
        return n.toString();
    }
}
