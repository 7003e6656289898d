package dev.keyline.crypto.service.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;

/** The contract on the real PostgreSQL at 127.0.0.1:5432 (database test), in a schema of its own per test. */
class PostgresKeyStoreTest extends KeyStoreContract {
    static final String URL = System.getenv().getOrDefault("KEYLINE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getenv().getOrDefault("KEYLINE_TEST_PG_USER", "postgres");
    final String schema = "kl_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @Override
    JdbcKeyStore open() {
        return track(JdbcKeyStore.open(URL, USER, "", schema, master, listener));
    }

    @Override
    boolean dialectSharesLocks() {
        return true;
    }

    @AfterEach
    void dropSchema() throws Exception {
        try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
