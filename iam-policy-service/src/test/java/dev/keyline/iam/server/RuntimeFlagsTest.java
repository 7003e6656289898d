package dev.keyline.iam.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * T11 for the IAM service: decision signing and L2 encryption are switched at run time over HTTP on
 * the management port (admin token), and each request is routed by the flags in force: a decision
 * is signed (and verifies) exactly when signing is on; the L2 entry it writes to the real Redis is
 * encrypted exactly when encryption is on; an entry written in the other form is never served.
 * The domain is 2^4 = 16 (previous signing, previous encryption, new signing, new encryption), so
 * every combination is enumerated with plain loops, not sampled (QuickTheories would skip the
 * repeats of a domain this small).
 */
class RuntimeFlagsTest {
    static final List<String> ON_OFF = List.of("on", "off");

    @TempDir
    static Path tmp;
    static IamFixture f;
    static Http management;
    static String managementUrl;

    @BeforeAll
    static void start() {
        // L1 off: every lookup goes to L2, so the entry's form decides whether it is served.
        f = IamFixture.start(tmp, "runtime-flags", b -> b.l1MaxEntries(0));
        managementUrl = f.iam.managementUrl().orElseThrow();
        management = new Http(managementUrl);
    }

    @AfterAll
    static void stop() {
        f.close();
    }

    static Http.Response put(String flag, String value, String bearer) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(managementUrl + "/admin/flags/" + flag))
                .header("Content-Type", "application/json").header("x-correlation-id", "iam-flag-test")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"" + value + "\"}"));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return management.send(b);
    }

    static void set(String signing, String encryption) {
        assertThat(put(IamServer.SIGNING_FLAG, signing, IamFixture.ADMIN_TOKEN).status()).isEqualTo(200);
        assertThat(put(IamServer.ENCRYPTION_FLAG, encryption, IamFixture.ADMIN_TOKEN).status()).isEqualTo(200);
    }

    static double changes(String flag, String to) {
        Matcher m = Pattern.compile("keyline_iam_flag_changes_total\\{flag=\"" + flag + "\",to=\"" + to + "\"} ([0-9.E]+)")
                .matcher(management.get("/metrics").raw());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void putFlags_everyPreviousAndNewCombination_routesSigningAndL2EncryptionByTheFlagsInForce() {
        int cases = 0;
        for (String prevSigning : ON_OFF) {
            for (String prevEncryption : ON_OFF) {
                for (String signing : ON_OFF) {
                    for (String encryption : ON_OFF) {
                        String body = Http.authorizeBody("User", "flags-" + cases, "read", "Document", "handbook");
                        set(prevSigning, prevEncryption);
                        Map<String, byte[]> before = new HashMap<>(f.redis.entries());
                        Http.Response first = f.http.post("/v1/authorize", body);
                        assertThat(first.status()).as(first.raw()).isEqualTo(200);
                        assertThat(first.body().get("cached").asBoolean()).isFalse();
                        assertEntryForm(newEntry(before), prevEncryption);

                        double onBefore = changes(IamServer.SIGNING_FLAG, signing);
                        set(signing, encryption);
                        assertThat(changes(IamServer.SIGNING_FLAG, signing) - onBefore).isEqualTo(1.0);
                        Http.Response again = f.http.post("/v1/authorize", body);
                        assertThat(again.status()).isEqualTo(200);
                        // The entry is served only in the form the flag now asks for.
                        assertThat(again.body().get("cached").asBoolean()).as("cached after %s→%s", prevEncryption, encryption)
                                .isEqualTo(prevEncryption.equals(encryption));
                        assertSigned(again.body(), signing.equals("on"));
                        Http.Response third = f.http.post("/v1/authorize", body);
                        assertThat(third.body().get("cached").asBoolean()).isTrue();
                        assertSigned(third.body(), signing.equals("on"));
                        cases++;
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(16);
    }

    @Test
    void putFlag_withoutAdminTokenOrUnknownOrNotOffered_isRefusedAndChangesNothing() {
        set("on", "on");
        for (String bearer : new String[] {null, "", IamFixture.ADMIN_TOKEN + "0", IamFixture.ADMIN_TOKEN.substring(1), IamFixture.iamToken(f.crypto)}) {
            Http.Response r = put(IamServer.SIGNING_FLAG, "off", bearer);
            assertThat(r.status()).as(String.valueOf(bearer)).isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
        }
        // A caller's access token with iam:admin scope is not the admin token of the management port.
        Http.Response scoped = put(IamServer.SIGNING_FLAG, "off", f.tokens.mint("someone", "iam:admin iam:authorize"));
        assertThat(scoped.status()).isEqualTo(401);
        assertThat(put("signer", "off", IamFixture.ADMIN_TOKEN).status()).isEqualTo(404);
        assertThat(put(IamServer.SIGNING_FLAG, "maybe", IamFixture.ADMIN_TOKEN).status()).isEqualTo(409);
        assertThat(f.iam.flags().values()).containsEntry(IamServer.SIGNING_FLAG, "on").containsEntry(IamServer.ENCRYPTION_FLAG, "on");
        // The public port has no admin endpoint.
        Http.Response publicPort = f.http.send(HttpRequest.newBuilder(URI.create(f.iam.baseUrl() + "/admin/flags/decision_signing"))
                .header("Authorization", "Bearer " + IamFixture.ADMIN_TOKEN).PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"off\"}")));
        assertThat(publicPort.status()).isIn(404, 405);
        assertThat(f.iam.flags().get(IamServer.SIGNING_FLAG)).isEqualTo("on");
        Http.Response list = management.send(HttpRequest.newBuilder(URI.create(managementUrl + "/admin/flags"))
                .header("Authorization", "Bearer " + IamFixture.ADMIN_TOKEN).GET());
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body().path("flags").path(IamServer.ENCRYPTION_FLAG).asText()).isEqualTo("on");
        assertThat(list.body().path("offered").path(IamServer.SIGNING_FLAG).toString()).isEqualTo("[\"on\",\"off\"]");
    }

    @Test
    void putFlag_withoutAConfiguredAdminToken_theEndpointIsOff() {
        IamServerConfig config = IamFixture.defaults(tmp.resolve("no-admin"), f.policyDir, "unused:").l2Backend(IamServerConfig.L2Backend.MEMORY)
                .adminToken(dev.keyline.crypto.core.SecretBytes.copyOf(new byte[0])).cryptoEndpoint(f.crypto.endpoint())
                .cryptoToken(IamFixture.iamToken(f.crypto)).authJwksUrl(f.tokens.jwksUrl()).build();
        try (IamServer noAdmin = IamServer.start(config)) {
            String url = noAdmin.managementUrl().orElseThrow() + "/admin/flags/" + IamServer.SIGNING_FLAG;
            for (String bearer : new String[] {null, "", IamFixture.ADMIN_TOKEN}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"off\"}"));
                if (bearer != null) {
                    b.header("Authorization", "Bearer " + bearer);
                }
                assertThat(management.send(b).status()).isEqualTo(404);
            }
            assertThat(noAdmin.flags().get(IamServer.SIGNING_FLAG)).isEqualTo("on");
        }
    }

    private static void assertSigned(JsonNode decision, boolean signed) {
        assertThat(decision.has("signature")).as(decision.toString()).isEqualTo(signed);
        if (signed) {
            assertThat(decision.get("key_id").asText()).isEqualTo("iam/decision-signing/1");
            Http.Response v = f.http.post("/v1/decisions/verify", decision);
            assertThat(v.body().get("valid").asBoolean()).as(v.raw()).isTrue();
        }
    }

    private static byte[] newEntry(Map<String, byte[]> before) {
        Map<String, byte[]> after = f.redis.entries();
        List<String> added = after.keySet().stream().filter(k -> !before.containsKey(k)).toList();
        assertThat(added).hasSize(1);
        return after.get(added.get(0));
    }

    private static void assertEntryForm(byte[] stored, String encryption) {
        JsonNode n;
        try {
            n = Http.JSON.readTree(stored);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        if (encryption.equals("on")) {
            assertThat(n.has("ciphertext") && n.has("wrapped_key")).as(n.toString()).isTrue();
            assertThat(n.toString()).doesNotContain("flags-");
        } else {
            assertThat(n.path("format").asText()).as(n.toString()).isEqualTo("plaintext-v2");
            assertThat(n.has("mac")).isTrue();
        }
    }
}
