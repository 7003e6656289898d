package dev.keyline.token.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The clients file: JSON ({@code .json}) or YAML ({@code .yaml}, {@code .yml}), one object with a
 * {@code clients} list:
 *
 * <pre>
 * clients:
 *   - id: billing
 *     secret_hash: sha256:...            # from keyline clients create
 *     grants: [client_credentials]       # client_credentials, refresh_token, sessions:issue, tokens:introspect
 *     scopes: [billing.read]
 *     audience: [https://billing.internal]  # empty or absent: tokens without audience
 *     session_clients: [web-app]         # optional, sessions:issue only: other clients it may start sessions for
 *     access_token_lifetime: PT15M       # optional, default from the server config
 *     refresh_token_lifetime: P30D       # optional
 * </pre>
 */
public final class ClientsFile {
    private ClientsFile() {
    }

    /** Thrown by {@link #read} with every problem of the file, each naming its entry. */
    public static final class InvalidClientsFile extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final List<String> problems;

        InvalidClientsFile(Path file, List<String> problems) {
            super(file + ": " + String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Reads the clients in {@code file}; entries without lifetimes get the given defaults. Throws
     * {@link InvalidClientsFile} listing every problem, or {@link UncheckedIOException}.
     */
    public static List<Client> read(Path file, Duration defaultAccessLifetime, Duration defaultRefreshLifetime) {
        JsonNode root;
        try {
            root = mapper(file).readTree(file.toFile());
        } catch (IOException e) {
            throw new InvalidClientsFile(file, List.of("cannot read or parse: " + e.getMessage().lines().findFirst().orElse("")));
        }
        List<String> problems = new ArrayList<>();
        List<Client> clients = new ArrayList<>();
        JsonNode list = root == null ? null : root.get("clients");
        if (list == null || !list.isArray()) {
            throw new InvalidClientsFile(file, List.of("must be an object with a 'clients' list"));
        }
        Set<String> ids = new HashSet<>();
        int i = 0;
        for (JsonNode n : list) {
            String where = "clients[" + i++ + "]";
            try {
                String id = text(n, "id");
                where += " (" + id + ")";
                Client c = new Client(id, new SecretHash(text(n, "secret_hash")), new LinkedHashSet<>(strings(n, "grants")), strings(n, "scopes"),
                        strings(n, "audience"), duration(n, "access_token_lifetime", defaultAccessLifetime),
                        duration(n, "refresh_token_lifetime", defaultRefreshLifetime),
                        n.has("session_clients") ? new LinkedHashSet<>(strings(n, "session_clients")) : Set.of());
                if (!ids.add(id)) {
                    problems.add(where + ": duplicate id");
                }
                clients.add(c);
            } catch (IllegalArgumentException | DateTimeParseException e) {
                problems.add(where + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidClientsFile(file, problems);
        }
        return List.copyOf(clients);
    }

    /** Writes {@code clients} to {@code file} (format by extension), replacing it. */
    public static void write(Path file, List<Client> clients) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("clients", clients.stream().map(Client::toFileEntry).toList());
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            mapper(file).enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), root);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Adds {@code client} to {@code file} (created when absent); fails when its id is taken. */
    public static void add(Path file, Client client, Duration defaultAccessLifetime, Duration defaultRefreshLifetime) {
        List<Client> clients = new ArrayList<>(Files.exists(file) ? read(file, defaultAccessLifetime, defaultRefreshLifetime) : List.of());
        if (clients.stream().anyMatch(c -> c.id().equals(client.id()))) {
            throw new IllegalArgumentException("client " + client.id() + " already exists in " + file);
        }
        clients.add(client);
        write(file, clients);
    }

    private static ObjectMapper mapper(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml") ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(field + " must be a list");
        }
        List<String> out = new ArrayList<>();
        v.forEach(e -> out.add(e.asText()));
        return out;
    }

    private static Duration duration(JsonNode n, String field, Duration dflt) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? dflt : Duration.parse(v.asText());
    }
}
