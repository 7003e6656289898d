package dev.keyline.iam.policy;

import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimBool;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import dev.keyline.iam.IamException;
import dev.keyline.iam.decision.AttributeValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Converts the service's values to Cedar's, and finds the entities a Cedar value refers to. */
final class CedarValues {
    private static final Map<String, EntityTypeName> TYPES = new ConcurrentHashMap<>();

    private CedarValues() {
    }

    static EntityUID uid(String type, String id) {
        EntityTypeName t = TYPES.get(type);
        if (t == null) {
            t = EntityTypeName.parse(type).orElseThrow(() -> IamException.invalid("type", "'" + type + "' is not a Cedar entity type"));
            if (TYPES.size() < 10_000) {
                TYPES.put(type, t);
            }
        }
        return new EntityUID(t, id);
    }

    static Map<String, Value> toCedar(Map<String, AttributeValue> attributes) {
        Map<String, Value> out = new HashMap<>(Math.max(4, attributes.size() * 2));
        attributes.forEach((k, v) -> out.put(k, toCedar(v)));
        return out;
    }

    static Value toCedar(AttributeValue v) {
        return switch (v) {
            case AttributeValue.Text t -> new PrimString(t.value());
            case AttributeValue.Bool b -> new PrimBool(b.value());
            case AttributeValue.Int i -> new PrimLong(i.value());
            case AttributeValue.SetValue s -> new CedarList(s.elements().stream().map(CedarValues::toCedar).toList());
            case AttributeValue.RecordValue r -> new CedarMap(toCedar(r.fields()));
            case AttributeValue.EntityRef e -> uid(e.type(), e.id());
        };
    }

    /** Every entity uid inside {@code values}, at any depth. */
    static List<EntityUID> references(Collection<Value> values) {
        List<EntityUID> out = new ArrayList<>();
        values.forEach(v -> collect(v, out));
        return out;
    }

    private static void collect(Value v, List<EntityUID> out) {
        if (v instanceof EntityUID u) {
            out.add(u);
        } else if (v instanceof CedarList l) {
            l.forEach(e -> collect(e, out));
        } else if (v instanceof CedarMap m) {
            m.values().forEach(e -> collect(e, out));
        }
    }
}
