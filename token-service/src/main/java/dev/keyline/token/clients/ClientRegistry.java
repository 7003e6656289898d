package dev.keyline.token.clients;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The registered clients, and client authentication against their stored secret hashes. */
public final class ClientRegistry {
    /** Compared against when the client id is unknown, so both cases take the same time. */
    private static final SecretHash DUMMY = SecretHash.of("keyline-no-such-client");

    private final Map<String, Client> clients;

    public ClientRegistry(List<Client> clients) {
        this.clients = clients.stream().collect(Collectors.toUnmodifiableMap(Client::id, Function.identity()));
    }

    /** The client whose id and secret these are; empty when either is wrong (callers cannot tell which). */
    public Optional<Client> authenticate(String clientId, String secret) {
        Client c = clients.get(clientId);
        boolean ok = (c == null ? DUMMY : c.secretHash()).matches(secret);
        return c != null && ok ? Optional.of(c) : Optional.empty();
    }

    public Optional<Client> find(String clientId) {
        return Optional.ofNullable(clients.get(clientId));
    }

    public int size() {
        return clients.size();
    }
}
