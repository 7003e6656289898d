package dev.keyline.token.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client entries: the create helper, JSON and YAML files, and constant-time authentication. */
class ClientsFileTest {
    private static final Duration ACCESS = Duration.ofMinutes(15);
    private static final Duration REFRESH = Duration.ofDays(30);

    @TempDir
    Path dir;

    @Test
    void create_randomSecret_authenticatesAndIsNeverStored() throws Exception {
        Client.NewClient n = Client.create("billing", Set.of(Client.CLIENT_CREDENTIALS), List.of("billing.read"), List.of("api://billing"),
                ACCESS, REFRESH, new SecureRandom());
        assertThat(n.secret()).startsWith("kls_").hasSize(47);
        assertThat(n.toString()).doesNotContain(n.secret());
        Path file = dir.resolve("clients.yaml");
        ClientsFile.add(file, n.client(), ACCESS, REFRESH);
        assertThat(Files.readString(file)).doesNotContain(n.secret()).contains("sha256:");
        ClientRegistry registry = new ClientRegistry(ClientsFile.read(file, ACCESS, REFRESH));
        assertThat(registry.authenticate("billing", n.secret())).isPresent();
        assertThat(registry.authenticate("billing", n.secret() + "x")).isEmpty();
        assertThat(registry.authenticate("nobody", n.secret())).isEmpty();
        assertThatThrownBy(() -> ClientsFile.add(file, n.client(), ACCESS, REFRESH)).hasMessageContaining("already exists");
    }

    @Test
    void read_json_withDefaultsForMissingLifetimes() throws Exception {
        Path file = dir.resolve("clients.json");
        Files.writeString(file, """
                {"clients": [{"id": "svc", "secret_hash": "%s", "grants": ["client_credentials", "refresh_token"],
                  "scopes": ["a", "b"], "audience": ["api://x"], "access_token_lifetime": "PT5M"}]}
                """.formatted(SecretHash.of("s3cret").text()));
        Client c = ClientsFile.read(file, ACCESS, REFRESH).getFirst();
        assertThat(c.accessTokenLifetime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.refreshTokenLifetime()).isEqualTo(REFRESH);
        assertThat(c.grants()).containsExactlyInAnyOrder("client_credentials", "refresh_token");
        assertThat(c.secretHash().matches("s3cret")).isTrue();
    }

    @Test
    void read_badEntries_listsEveryProblem() throws Exception {
        Path file = dir.resolve("clients.yml");
        Files.writeString(file, """
                clients:
                  - id: a
                    secret_hash: plain-text-secret
                  - id: b
                    secret_hash: %s
                    grants: [password]
                  - secret_hash: %s
                  - id: c
                    secret_hash: %s
                    access_token_lifetime: forever
                """.formatted(SecretHash.of("x").text(), SecretHash.of("x").text(), SecretHash.of("x").text()));
        assertThatThrownBy(() -> ClientsFile.read(file, ACCESS, REFRESH)).isInstanceOfSatisfying(ClientsFile.InvalidClientsFile.class,
                e -> assertThat(e.problems()).hasSize(4).anySatisfy(p -> assertThat(p).contains("(a)")).anySatisfy(p -> assertThat(p).contains("password"))
                        .anySatisfy(p -> assertThat(p).contains("id is required")).anySatisfy(p -> assertThat(p).contains("(c)")));
        assertThatThrownBy(() -> ClientsFile.read(file, ACCESS, REFRESH)).hasMessageNotContaining("plain-text-secret\"");
    }

    @Test
    void read_sessionClients_roundTripsAndAbsentMeansNone() throws Exception {
        Path file = dir.resolve("clients.yaml");
        Files.writeString(file, """
                clients:
                  - id: login
                    secret_hash: %s
                    grants: [sessions:issue]
                    session_clients: [web, mobile]
                  - id: web
                    secret_hash: %s
                    grants: [refresh_token, tokens:introspect]
                """.formatted(SecretHash.of("x").text(), SecretHash.of("y").text()));
        List<Client> read = ClientsFile.read(file, ACCESS, REFRESH);
        assertThat(read.get(0).sessionClients()).containsExactlyInAnyOrder("web", "mobile");
        assertThat(read.get(0).mayIssueSessionsFor("web")).isTrue();
        assertThat(read.get(0).mayIssueSessionsFor("other")).isFalse();
        assertThat(read.get(1).sessionClients()).isEmpty();
        assertThat(read.get(1).mayUse(Client.TOKENS_INTROSPECT)).isTrue();
        Path copy = dir.resolve("copy.json");
        ClientsFile.write(copy, read);
        assertThat(ClientsFile.read(copy, ACCESS, REFRESH)).isEqualTo(read);
    }
}
