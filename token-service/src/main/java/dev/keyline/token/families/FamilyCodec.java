package dev.keyline.token.families;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The stored form of a {@link TokenFamily}: JSON, version 1 (field {@code v}). */
final class FamilyCodec {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    private FamilyCodec() {
    }

    static byte[] encode(TokenFamily f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("v", 1);
        n.put("id", f.familyId());
        n.put("sub", f.subject());
        n.put("client", f.clientId());
        n.put("scope", f.scope());
        f.audience().forEach(n.putArray("aud")::add);
        if (f.audience().isEmpty()) {
            n.putArray("aud");
        }
        n.set("claims", JSON.valueToTree(f.extraClaims()));
        n.put("gen", f.generation());
        n.put("created", f.createdAt().toEpochMilli());
        n.put("expires", f.expiresAt().toEpochMilli());
        n.put("rotated", f.rotatedAt().toEpochMilli());
        n.put("revoked", f.revoked());
        n.put("reason", f.revokedReason());
        n.put("child", f.previousChild());
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a token family", e);
        }
    }

    static TokenFamily decode(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || n.path("v").asInt() != 1) {
                throw new IllegalStateException("unknown token family record version");
            }
            List<String> aud = new ArrayList<>();
            n.path("aud").forEach(a -> aud.add(a.asText()));
            Map<String, Object> claims = JSON.convertValue(n.path("claims"), MAP);
            return new TokenFamily(n.path("id").asText(), n.path("sub").asText(), n.path("client").asText(), n.path("scope").asText(), aud,
                    claims == null ? Map.of() : claims, n.path("gen").asLong(), Instant.ofEpochMilli(n.path("created").asLong()),
                    Instant.ofEpochMilli(n.path("expires").asLong()), Instant.ofEpochMilli(n.path("rotated").asLong()),
                    n.path("revoked").asBoolean(), n.path("reason").asText(), n.path("child").asText());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("corrupt token family record", e);
        }
    }
}
