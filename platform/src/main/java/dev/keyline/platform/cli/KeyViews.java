package dev.keyline.platform.cli;

import com.google.protobuf.Timestamp;
import dev.keyline.crypto.v1.KeyId;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.KeyVersionInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How keys look on the command line: text for people, stable JSON field names for scripts. */
final class KeyViews {
    private KeyViews() {
    }

    static dev.keyline.crypto.v1.KeyId proto(dev.keyline.crypto.core.keys.KeyId id) {
        return KeyId.newBuilder().setNamespace(id.namespace()).setId(id.id()).setVersion(id.version()).build();
    }

    /** {@code ns/id/v}, or {@code ns/id} when the version is 0. */
    static String text(KeyId id) {
        return id.getVersion() == 0 ? ring(id) : ring(id) + "/" + id.getVersion();
    }

    static String ring(KeyId id) {
        return id.getNamespace() + "/" + id.getId();
    }

    static String text(dev.keyline.crypto.core.keys.KeyId id) {
        return id.version() == 0 ? id.ringName() : id.toString();
    }

    /** Second precision for people; JSON keeps the full instant. */
    static String time(Timestamp t) {
        return instant(t).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    /** {@code P30D} when whole days, else ISO-8601; empty for "never". */
    static String period(com.google.protobuf.Duration d) {
        Duration p = Duration.ofSeconds(d.getSeconds(), d.getNanos());
        if (p.isZero()) {
            return "";
        }
        return p.toSeconds() % 86_400 == 0 && p.getNano() == 0 ? "P" + p.toDays() + "D" : p.toString();
    }

    static Map<String, Object> json(KeyMetadata m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("key", ring(m.getKeyId()));
        out.put("algorithm", m.getAlgorithm().name());
        out.put("state", m.getState().name());
        out.put("primary_version", m.getPrimaryVersion());
        out.put("min_decryption_version", m.getMinDecryptionVersion());
        String period = period(m.getRotationPeriod());
        out.put("rotation_period", period.isEmpty() ? null : period);
        out.put("created_at", instant(m.getCreatedAt()).toString());
        out.put("rotated_at", instant(m.getRotatedAt()).toString());
        out.put("deletion_at", m.hasDeletionAt() ? instant(m.getDeletionAt()).toString() : null);
        List<Map<String, Object>> versions = new ArrayList<>();
        for (KeyVersionInfo v : m.getVersionsList()) {
            Map<String, Object> vm = new LinkedHashMap<>();
            vm.put("version", v.getVersion());
            vm.put("state", v.getState().name());
            vm.put("created_at", instant(v.getCreatedAt()).toString());
            vm.put("deletion_at", v.hasDeletionAt() ? instant(v.getDeletionAt()).toString() : null);
            versions.add(vm);
        }
        out.put("versions", versions);
        return out;
    }

    static void show(Printer out, KeyMetadata m) {
        List<String[]> f = new ArrayList<>();
        f.add(new String[] {"key", ring(m.getKeyId())});
        f.add(new String[] {"algorithm", m.getAlgorithm().name()});
        f.add(new String[] {"state", m.getState().name()});
        if (m.hasDeletionAt()) {
            f.add(new String[] {"deletion at", time(m.getDeletionAt())});
        }
        f.add(new String[] {"primary version", String.valueOf(m.getPrimaryVersion())});
        f.add(new String[] {"min decryption", String.valueOf(m.getMinDecryptionVersion())});
        String period = period(m.getRotationPeriod());
        f.add(new String[] {"rotation period", period.isEmpty() ? "none (rotate by hand)" : period});
        f.add(new String[] {"created", time(m.getCreatedAt())});
        f.add(new String[] {"rotated", time(m.getRotatedAt())});
        out.fields(f);
        out.line("");
        List<List<String>> rows = new ArrayList<>();
        for (KeyVersionInfo v : m.getVersionsList()) {
            String role = v.getVersion() == m.getPrimaryVersion() ? "primary" : v.getVersion() < m.getMinDecryptionVersion() ? "below min" : "";
            rows.add(List.of(String.valueOf(v.getVersion()), v.getState().name(), time(v.getCreatedAt()),
                    v.hasDeletionAt() ? time(v.getDeletionAt()) : "", role));
        }
        out.table(List.of("VERSION", "STATE", "CREATED", "DELETION AT", ""), rows);
    }

    static List<String> row(KeyMetadata m) {
        String period = period(m.getRotationPeriod());
        return List.of(ring(m.getKeyId()), m.getAlgorithm().name(), m.getState().name(), String.valueOf(m.getPrimaryVersion()),
                String.valueOf(m.getVersionsCount()), time(m.getRotatedAt()), period.isEmpty() ? "-" : period);
    }

    static final List<String> HEADERS = List.of("KEY", "ALGORITHM", "STATE", "PRIMARY", "VERSIONS", "ROTATED", "ROTATION");
}
