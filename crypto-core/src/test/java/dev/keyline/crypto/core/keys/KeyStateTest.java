package dev.keyline.crypto.core.keys;

import static dev.keyline.crypto.core.keys.KeyState.DESTROYED;
import static dev.keyline.crypto.core.keys.KeyState.DISABLED;
import static dev.keyline.crypto.core.keys.KeyState.ENABLED;
import static dev.keyline.crypto.core.keys.KeyState.PENDING_DELETION;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KeyStateTest {
    /** The whole transition table: from → the states it may move to (staying put included). */
    private static final Map<KeyState, Set<KeyState>> ALLOWED = Map.of(
            ENABLED, EnumSet.of(ENABLED, DISABLED, PENDING_DELETION),
            DISABLED, EnumSet.of(DISABLED, ENABLED, PENDING_DELETION),
            PENDING_DELETION, EnumSet.of(PENDING_DELETION, DISABLED, DESTROYED),
            DESTROYED, EnumSet.of(DESTROYED));

    @ParameterizedTest
    @EnumSource(KeyState.class)
    void canMoveTo_everyTarget_followsTheLifecycleTable(KeyState from) {
        for (KeyState to : KeyState.values()) {
            assertThat(from.canMoveTo(to)).as("%s -> %s", from, to).isEqualTo(ALLOWED.get(from).contains(to));
        }
    }

    @ParameterizedTest
    @EnumSource(value = KeyState.class, names = "DESTROYED", mode = EnumSource.Mode.EXCLUDE)
    void canMoveTo_fromDestroyedToAnyOtherState_isFalse(KeyState other) {
        assertThat(DESTROYED.canMoveTo(other)).isFalse();
    }

    @Test
    void canMoveTo_destroyedFromAnythingButPendingDeletion_isFalse() {
        assertThat(ENABLED.canMoveTo(DESTROYED)).isFalse();
        assertThat(DISABLED.canMoveTo(DESTROYED)).isFalse();
        assertThat(PENDING_DELETION.canMoveTo(DESTROYED)).isTrue();
    }

    @Test
    void canMoveTo_pendingDeletionBackToEnabled_goesThroughDisabled() {
        // Cancelling a deletion leaves the key disabled; enabling it is a second, deliberate step.
        assertThat(PENDING_DELETION.canMoveTo(ENABLED)).isFalse();
        assertThat(PENDING_DELETION.canMoveTo(DISABLED)).isTrue();
        assertThat(DISABLED.canMoveTo(ENABLED)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(KeyState.class)
    void usable_onlyEnabled_isTrue(KeyState state) {
        assertThat(state.usable()).isEqualTo(state == ENABLED);
    }
}
