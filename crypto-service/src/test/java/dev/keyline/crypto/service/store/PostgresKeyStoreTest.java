package dev.keyline.crypto.service.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;

/** The contract on the real PostgreSQL at 127.0.0.1:5432 (database test), in a schema of its own per test. */
class PostgresKeyStoreTest extends KeyStoreContract {
    static final String URL = System.getenv().getOrDefault("KEYLINE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getenv().getOrDefault("KEYLINE_TEST_PG_USER", "postgres");
    final String schema = "kl_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @Override
    JdbcKeyStore open(boolean trustExistingRows) {
        return track(JdbcKeyStore.open(URL, USER, "", schema, master, listener, trustExistingRows));
    }

    @Override
    boolean dialectSharesLocks() {
        return true;
    }

    @Override
    Connection raw() throws SQLException {
        Connection c = DriverManager.getConnection(URL, USER, "");
        c.setSchema(schema);
        return c;
    }

    @Override
    FluentConfiguration flyway() {
        return Flyway.configure().dataSource(URL, USER, "").schemas(schema).createSchemas(true).locations("classpath:db/migration/postgresql");
    }

    @AfterEach
    void dropSchema() throws Exception {
        try (Connection c = DriverManager.getConnection(URL, USER, ""); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
