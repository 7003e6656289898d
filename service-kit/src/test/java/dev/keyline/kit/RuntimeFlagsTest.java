package dev.keyline.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Run-time flags: every change audited (who, old → new, correlation id) and reported; refusals change nothing. */
class RuntimeFlagsTest {
    @Test
    void set_offeredValue_changesAndWritesOneStructuredAuditLineAndCallsTheListener() {
        Logger audit = (Logger) LoggerFactory.getLogger("keyline.audit.flags");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        audit.addAppender(lines);
        List<RuntimeFlags.Change> seen = new ArrayList<>();
        try {
            RuntimeFlags flags = RuntimeFlags.builder("svc").flag("signing", "crypto", List.of("crypto", "local")).onChange(seen::add).build();
            RuntimeFlags.Change c = flags.set("signing", "local", "admin-token@127.0.0.1", "cid-1");
            assertThat(flags.get("signing")).isEqualTo("local");
            assertThat(c).isEqualTo(new RuntimeFlags.Change("signing", "crypto", "local", "admin-token@127.0.0.1", "cid-1"));
            assertThat(seen).containsExactly(c);
            assertThat(lines.list).hasSize(1);
            Map<String, Object> kv = lines.list.get(0).getKeyValuePairs().stream().collect(Collectors.toMap(p -> p.key, p -> p.value));
            assertThat(kv).containsEntry("event", "flag_change").containsEntry("service", "svc").containsEntry("flag", "signing")
                    .containsEntry("from", "crypto").containsEntry("to", "local").containsEntry("actor", "admin-token@127.0.0.1")
                    .containsEntry("correlation_id", "cid-1");
        } finally {
            audit.detachAppender(lines);
        }
    }

    @Test
    void set_unknownFlagOrValueNotOffered_isRefusedWithItsReasonAndChangesNothing() {
        List<RuntimeFlags.Change> seen = new ArrayList<>();
        RuntimeFlags flags = RuntimeFlags.builder("svc").flag("signing", "crypto", List.of("crypto")).onChange(seen::add).build();
        assertThatThrownBy(() -> flags.set("signing", "local", "a", "c")).isInstanceOfSatisfying(RuntimeFlags.FlagException.class,
                e -> assertThat(e.reason()).isEqualTo(RuntimeFlags.FlagException.Reason.VALUE_NOT_OFFERED));
        assertThatThrownBy(() -> flags.set("nope", "x", "a", "c")).isInstanceOfSatisfying(RuntimeFlags.FlagException.class,
                e -> assertThat(e.reason()).isEqualTo(RuntimeFlags.FlagException.Reason.UNKNOWN_FLAG));
        assertThat(flags.get("signing")).isEqualTo("crypto");
        assertThat(seen).isEmpty();
        assertThatThrownBy(() -> RuntimeFlags.builder("svc").flag("f", "x", List.of("y"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void adminToken_matchesOnlyTheExactBearerTokenAndNeverPrintsIt() {
        String secret = "admin-token-0123456789";
        AdminToken t = AdminToken.of(secret.getBytes(StandardCharsets.UTF_8));
        assertThat(t.enabled()).isTrue();
        assertThat(t.matches("Bearer " + secret)).isTrue();
        assertThat(t.matches("bearer " + secret)).isTrue();
        for (String wrong : new String[] {null, "", "Bearer", "Bearer ", secret, "Basic " + secret, "Bearer " + secret + "0",
                "Bearer " + secret.substring(1), "Bearer " + secret.toUpperCase(java.util.Locale.ROOT)}) {
            assertThat(t.matches(wrong)).as(String.valueOf(wrong)).isFalse();
        }
        assertThat(t.toString()).doesNotContain(secret);
        AdminToken off = AdminToken.of(new byte[0]);
        assertThat(off.enabled()).isFalse();
        assertThat(off.matches("Bearer ")).isFalse();
        assertThat(off.matches("Bearer " + secret)).isFalse();
    }
}
