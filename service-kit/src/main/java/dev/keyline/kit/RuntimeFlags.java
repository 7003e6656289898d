package dev.keyline.kit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feature flags an operator switches while the service runs (seed property T11), each with a
 * closed set of values fixed at start: only the paths this process can actually take (no
 * {@code local} signing value without a local key). Reading a flag is one volatile read, so the
 * request path pays nothing for it.
 *
 * <p>Every {@link #set change} is audited: one structured line on the {@code keyline.audit.flags}
 * logger ({@code event=flag_change}, service, flag, from, to, actor, correlation id) and a call of
 * the listener the service counts it with. A refused change (unknown flag, value not offered)
 * changes nothing and is a {@link FlagException}.
 */
public final class RuntimeFlags {
    private static final Logger AUDIT = LoggerFactory.getLogger("keyline.audit.flags");

    /** One accepted change, as audited. */
    public record Change(String flag, String from, String to, String actor, String correlationId) {
        public Change {
            Objects.requireNonNull(flag, "flag");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(actor, "actor");
            Objects.requireNonNull(correlationId, "correlationId");
        }
    }

    /** Why a change was refused. */
    public static final class FlagException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** Closed set of refusals. */
        public enum Reason { UNKNOWN_FLAG, VALUE_NOT_OFFERED }

        private final Reason reason;

        FlagException(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    private record Flag(List<String> offered, AtomicReference<String> value) { }

    private final String service;
    private final Map<String, Flag> flags;
    private final Consumer<Change> listener;

    private RuntimeFlags(Builder b) {
        this.service = b.service;
        this.flags = Map.copyOf(b.flags);
        this.listener = b.listener;
    }

    /** Flags of {@code service} (named in the audit line). */
    public static Builder builder(String service) {
        return new Builder(service);
    }

    /** The current value of {@code flag}. */
    public String get(String flag) {
        return flag(flag).value().get();
    }

    /** Whether {@code flag} is now {@code value}. */
    public boolean is(String flag, String value) {
        return get(flag).equals(value);
    }

    /** Every flag and its value, in name order. */
    public Map<String, String> values() {
        Map<String, String> out = new LinkedHashMap<>();
        flags.keySet().stream().sorted().forEach(k -> out.put(k, flags.get(k).value().get()));
        return out;
    }

    /** The values {@code flag} may take in this process. */
    public List<String> offered(String flag) {
        return flag(flag).offered();
    }

    /**
     * Sets {@code flag} to {@code value}, audits the change and returns it (also when the value
     * does not change, so a repeated command is visible in the audit log too).
     *
     * @param actor who asked, as authenticated (never a secret)
     * @throws FlagException for an unknown flag or a value this process does not offer
     */
    public Change set(String flag, String value, String actor, String correlationId) {
        Flag f = flag(flag);
        if (!f.offered().contains(value)) {
            throw new FlagException(FlagException.Reason.VALUE_NOT_OFFERED,
                    "flag " + flag + " may be " + String.join(" or ", f.offered()) + " in this process");
        }
        String old = f.value().getAndSet(value);
        Change c = new Change(flag, old, value, actor, correlationId);
        AUDIT.atWarn().addKeyValue("event", "flag_change").addKeyValue("service", service).addKeyValue("flag", flag)
                .addKeyValue("from", old).addKeyValue("to", value).addKeyValue("actor", actor).addKeyValue("correlation_id", correlationId)
                .log("feature flag {} changed from {} to {}", flag, old, value);
        listener.accept(c);
        return c;
    }

    private Flag flag(String name) {
        Flag f = name == null ? null : flags.get(name);
        if (f == null) {
            throw new FlagException(FlagException.Reason.UNKNOWN_FLAG, "no such flag; flags: " + String.join(", ", flags.keySet().stream().sorted().toList()));
        }
        return f;
    }

    /** Declares the flags. */
    public static final class Builder {
        private final String service;
        private final Map<String, Flag> flags = new LinkedHashMap<>();
        private Consumer<Change> listener = c -> { };

        private Builder(String service) {
            this.service = Objects.requireNonNull(service, "service");
        }

        /** A flag starting at {@code initial}, which must be one of {@code offered}. */
        public Builder flag(String name, String initial, List<String> offered) {
            if (!offered.contains(initial)) {
                throw new IllegalArgumentException("flag " + name + ": initial value " + initial + " is not offered");
            }
            flags.put(Objects.requireNonNull(name, "name"), new Flag(List.copyOf(offered), new AtomicReference<>(initial)));
            return this;
        }

        /** Called after every accepted change (to count it). */
        public Builder onChange(Consumer<Change> v) {
            listener = Objects.requireNonNull(v, "listener");
            return this;
        }

        public RuntimeFlags build() {
            return new RuntimeFlags(this);
        }
    }
}
