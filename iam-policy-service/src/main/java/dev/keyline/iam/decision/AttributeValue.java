package dev.keyline.iam.decision;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A value of an entity attribute or of the request context, as Cedar knows them: strings, booleans,
 * 64-bit integers, sets, records and entity references. There are no floats and no nulls, as in
 * Cedar. Values are immutable; records keep their keys sorted so equal values encode equally.
 */
public sealed interface AttributeValue {

    /** Appends this value's unambiguous encoding (for cache keys). */
    void writeTo(CanonicalBytes out);

    /** A string. */
    record Text(String value) implements AttributeValue {
        public Text {
            Objects.requireNonNull(value, "value");
            if (!CanonicalBytes.wellFormed(value)) {
                throw new IllegalArgumentException("string attribute is not well-formed Unicode (lone surrogate)");
            }
        }

        @Override
        public void writeTo(CanonicalBytes out) {
            out.text(value);
        }
    }

    /** A boolean. */
    record Bool(boolean value) implements AttributeValue {
        @Override
        public void writeTo(CanonicalBytes out) {
            out.bool(value);
        }
    }

    /** A 64-bit signed integer (Cedar's {@code Long}). */
    record Int(long value) implements AttributeValue {
        @Override
        public void writeTo(CanonicalBytes out) {
            out.int64(value);
        }
    }

    /** A Cedar set, in the order given. */
    record SetValue(List<AttributeValue> elements) implements AttributeValue {
        public SetValue {
            elements = List.copyOf(elements);
        }

        @Override
        public void writeTo(CanonicalBytes out) {
            out.open('s', elements.size());
            elements.forEach(e -> e.writeTo(out));
        }
    }

    /** A Cedar record; keys sorted. */
    record RecordValue(Map<String, AttributeValue> fields) implements AttributeValue {
        public RecordValue {
            fields = sortedCopy(fields);
        }

        @Override
        public void writeTo(CanonicalBytes out) {
            writeFields(out, 'r', fields);
        }
    }

    /** A reference to an entity, {@code Type::"id"}. */
    record EntityRef(String type, String id) implements AttributeValue {
        public EntityRef {
            RequestEntity.checkType(type);
            RequestEntity.checkId(id);
        }

        @Override
        public void writeTo(CanonicalBytes out) {
            out.open('e', 2).text(type).text(id);
        }
    }

    /** A sorted, unmodifiable copy of {@code fields}; keys and values must not be null. */
    static Map<String, AttributeValue> sortedCopy(Map<String, AttributeValue> fields) {
        TreeMap<String, AttributeValue> copy = new TreeMap<>();
        fields.forEach((k, v) -> {
            if (!CanonicalBytes.wellFormed(Objects.requireNonNull(k, "key"))) {
                throw new IllegalArgumentException("attribute name is not well-formed Unicode (lone surrogate)");
            }
            copy.put(k, Objects.requireNonNull(v, "value"));
        });
        return Collections.unmodifiableSortedMap(copy);
    }

    static void writeFields(CanonicalBytes out, char kind, Map<String, AttributeValue> fields) {
        out.open(kind, fields.size());
        fields.forEach((k, v) -> {
            out.text(k);
            v.writeTo(out);
        });
    }
}
