package dev.keyline.crypto.service.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteKeyStoreTest extends KeyStoreContract {
    @TempDir
    Path dir;

    @Override
    JdbcKeyStore open() {
        return track(JdbcKeyStore.open("jdbc:sqlite:" + dir.resolve("keys.db"), "", "", "", master, listener));
    }

    @Override
    boolean dialectSharesLocks() {
        return false;
    }
}
