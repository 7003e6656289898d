package dev.keyline.crypto.service.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.core.keys.KeyState;
import dev.keyline.crypto.service.keys.KeyRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteKeyStoreTest extends KeyStoreContract {
    @TempDir
    Path dir;

    @Override
    JdbcKeyStore open(boolean trustExistingRows) {
        return track(JdbcKeyStore.open("jdbc:sqlite:" + dir.resolve("keys.db"), "", "", "", master, listener, trustExistingRows));
    }

    @Override
    boolean dialectSharesLocks() {
        return false;
    }

    @Test
    void destroyedMaterial_isNotLeftInTheDatabaseOrWalFiles() throws Exception {
        JdbcKeyStore store = open();
        assertThat(store.sqlitePragma("secure_delete")).as("deleted content is zeroed").isEqualTo("1");
        KeyRegistry reg = registry(store, Duration.ZERO);
        KeyId id = KeyId.of("app", "shred");
        reg.create(id, KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        reg.create(KeyId.of("app", "keep"), KeyAlgorithm.AES_256_GCM, Duration.ZERO);
        byte[] wrapped = store.find(id).orElseThrow().version(1).wrappedMaterial().orElseThrow();
        assertThat(inDatabaseFiles(wrapped)).as("the wrapped bytes are on disk before").isTrue();

        reg.setState(id, KeyState.PENDING_DELETION);
        clock.advance(Duration.ofDays(8));
        assertThat(reg.destroyDue()).containsExactly(id);

        assertThat(inDatabaseFiles(wrapped)).as("the wrapped bytes after destroy").isFalse();
        assertThat(store.find(KeyId.of("app", "keep"))).isPresent();
    }

    /** Whether the database or its WAL holds {@code needle} (read raw, as a thief of the disk would). */
    private boolean inDatabaseFiles(byte[] needle) throws Exception {
        for (String name : new String[] {"keys.db", "keys.db-wal"}) {
            Path f = dir.resolve(name);
            if (Files.exists(f) && indexOf(Files.readAllBytes(f), needle) >= 0) {
                return true;
            }
        }
        return false;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    String url() {
        return "jdbc:sqlite:" + dir.resolve("keys.db");
    }

    @Override
    Connection raw() throws SQLException {
        return DriverManager.getConnection(url());
    }

    @Override
    FluentConfiguration flyway() {
        return Flyway.configure().dataSource(url(), "", "").locations("classpath:db/migration/sqlite");
    }
}
