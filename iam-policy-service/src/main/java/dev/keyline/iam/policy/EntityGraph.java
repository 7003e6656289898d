package dev.keyline.iam.policy;

import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The entities of a policy directory ({@code entities.json}): users, roles and their parents, which
 * is the RBAC hierarchy — a user in role {@code editor}, whose parent is {@code reader}, is
 * {@code in Role::"reader"} for Cedar, at any depth.
 *
 * <p>Cedar needs, for each request, every entity the policies can reach from the principal, the
 * action and the resource: their ancestors and the entities their attributes refer to. Rather than
 * sending the whole directory across JNI on every call, {@link #slice} sends exactly that closure,
 * which gives Cedar the same answer for any policy.
 */
final class EntityGraph {
    private final Map<EntityUID, Entity> entities;
    /** For each entity: its parents, then the entities its attributes and tags refer to. */
    private final Map<EntityUID, List<EntityUID>> edges;

    private EntityGraph(Map<EntityUID, Entity> entities) {
        this.entities = entities;
        this.edges = new HashMap<>(entities.size() * 2);
        entities.forEach((uid, e) -> edges.put(uid, neighbours(e)));
    }

    /**
     * The graph of {@code entities}, or the problems that make it unusable: duplicate uids and
     * cycles in the parent relation (a role that is its own ancestor).
     */
    static EntityGraph of(Collection<Entity> entities, List<String> problems) {
        Map<EntityUID, Entity> byUid = new LinkedHashMap<>();
        for (Entity e : entities) {
            if (byUid.putIfAbsent(e.getEUID(), e) != null) {
                problems.add("entities.json: " + e.getEUID() + " is defined more than once");
            }
        }
        EntityGraph g = new EntityGraph(byUid);
        g.findCycle().ifPresent(cycle -> problems.add("entities.json: the parent hierarchy has a cycle: " + cycle));
        return g;
    }

    int size() {
        return entities.size();
    }

    Entity get(EntityUID uid) {
        return entities.get(uid);
    }

    /**
     * The entities to send with a request: {@code roots} as given (the request's own view of the
     * principal and the resource), plus every stored entity reachable from them or from
     * {@code extraRefs} through parents and entity-valued attributes.
     */
    Set<Entity> slice(Map<EntityUID, Entity> roots, List<EntityUID> extraRefs) {
        Map<EntityUID, Entity> out = new HashMap<>(roots);
        Deque<EntityUID> todo = new ArrayDeque<>();
        Set<EntityUID> seen = new HashSet<>();
        for (Entity root : roots.values()) {
            seen.add(root.getEUID());
            todo.addAll(neighbours(root));
        }
        todo.addAll(extraRefs);
        while (!todo.isEmpty()) {
            EntityUID uid = todo.pop();
            if (!seen.add(uid)) {
                continue;
            }
            Entity stored = entities.get(uid);
            if (stored != null) {
                out.putIfAbsent(uid, stored);
                todo.addAll(edges.get(uid));
            }
        }
        return new HashSet<>(out.values());
    }

    static List<EntityUID> neighbours(Entity e) {
        List<EntityUID> n = new ArrayList<>(e.getParents());
        List<Value> values = new ArrayList<>(e.attrs.values());
        if (e.getTags() != null) {
            values.addAll(e.getTags().values());
        }
        n.addAll(CedarValues.references(values));
        return n;
    }

    private java.util.Optional<String> findCycle() {
        Map<EntityUID, Integer> state = new HashMap<>(); // 1 = on the current path, 2 = done
        for (EntityUID start : entities.keySet()) {
            if (state.containsKey(start)) {
                continue;
            }
            // Iterative DFS over parents only: attribute references may legitimately form cycles.
            Deque<EntityUID> path = new ArrayDeque<>();
            Deque<java.util.Iterator<EntityUID>> its = new ArrayDeque<>();
            path.push(start);
            its.push(parents(start).iterator());
            state.put(start, 1);
            while (!path.isEmpty()) {
                java.util.Iterator<EntityUID> it = its.peek();
                if (it.hasNext()) {
                    EntityUID next = it.next();
                    Integer s = state.get(next);
                    if (s == null) {
                        state.put(next, 1);
                        path.push(next);
                        its.push(parents(next).iterator());
                    } else if (s == 1) {
                        List<String> cycle = new ArrayList<>();
                        cycle.add(next.toString());
                        for (EntityUID u : path) {
                            cycle.add(u.toString());
                            if (u.equals(next)) {
                                break;
                            }
                        }
                        java.util.Collections.reverse(cycle);
                        return java.util.Optional.of(String.join(" in ", cycle));
                    }
                } else {
                    state.put(path.pop(), 2);
                    its.pop();
                }
            }
        }
        return java.util.Optional.empty();
    }

    private Collection<EntityUID> parents(EntityUID uid) {
        Entity e = entities.get(uid);
        return e == null ? List.of() : e.getParents();
    }
}
