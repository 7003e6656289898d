package dev.keyline.platform.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyline.platform.Cli;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientsCommandTest {
    @TempDir
    Path dir;

    @Test
    void create_newClient_printsTheSecretOnceAndStoresOnlyItsHash() throws Exception {
        Cli.Result r = Cli.run(Map.of("KEYLINE_DATA_DIR", dir.toString()), "clients", "create", "billing",
                "--grants", "client_credentials,refresh_token", "--scopes", "invoices:read", "--audience", "billing-api");

        assertThat(r.exitCode()).as(r.toString()).isZero();
        String secret = r.outLine();
        assertThat(secret).hasSizeGreaterThanOrEqualTo(32);
        Path file = dir.resolve("clients.json");
        assertThat(Files.readString(file)).doesNotContain(secret).contains("billing");
        List<Client> clients = ClientsFile.read(file, Duration.ofMinutes(15), Duration.ofDays(30));
        assertThat(clients).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("billing");
            assertThat(c.secretHash().matches(secret)).isTrue();
            assertThat(c.secretHash().matches(secret + "x")).isFalse();
            assertThat(c.grants()).containsExactlyInAnyOrder("client_credentials", "refresh_token");
        });
    }

    @Test
    void create_takenIdOrUnknownGrant_failsWithUsageError() {
        Map<String, String> env = Map.of("KEYLINE_DATA_DIR", dir.toString());
        assertThat(Cli.run(env, "clients", "create", "a").exitCode()).isZero();
        Cli.Result taken = Cli.run(env, "clients", "create", "a");
        assertThat(taken.exitCode()).isEqualTo(2);
        assertThat(taken.err()).contains("already exists");
        Cli.Result grant = Cli.run(env, "clients", "create", "b", "--grants", "password");
        assertThat(grant.exitCode()).isEqualTo(2);
        assertThat(grant.err()).contains("unknown grant 'password'");
    }
}
