package dev.keyline.token.jwks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The JWK Set (RFC 7517) served at {@code /.well-known/jwks.json}: every published version of the
 * crypto-service signing key ({@link SigningKeys}) plus the static public keys of this service —
 * the fallback key and, when configured, the local signing key — so a token signed by any of them
 * verifies. HMAC keys are never listed. The document is rebuilt only when the published versions
 * change.
 */
public final class Jwks {
    private final Optional<SigningKeys> serviceKeys;
    private final List<String> staticJwks;
    private final Duration maxAge;
    private volatile Snapshot snapshot = new Snapshot(-1, "");

    private record Snapshot(long revision, String json) { }

    /** @param staticJwks public JWKs as JSON objects, each with its {@code kid} */
    public Jwks(Optional<SigningKeys> serviceKeys, List<String> staticJwks, Duration maxAge) {
        this.serviceKeys = Objects.requireNonNull(serviceKeys, "serviceKeys");
        this.staticJwks = List.copyOf(staticJwks);
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
    }

    /** The JWK Set as JSON text. */
    public String json() {
        long revision = serviceKeys.map(SigningKeys::revision).orElse(0L);
        Snapshot s = snapshot;
        if (s.revision == revision) {
            return s.json;
        }
        List<String> keys = new ArrayList<>();
        serviceKeys.ifPresent(k -> k.published().forEach(v -> keys.add(v.jwkJson())));
        keys.addAll(staticJwks);
        String json = "{\"keys\":[" + String.join(",", keys) + "]}";
        snapshot = new Snapshot(revision, json);
        return json;
    }

    /** How long verifiers may cache the set ({@code Cache-Control: max-age}). */
    public Duration maxAge() {
        return maxAge;
    }
}
