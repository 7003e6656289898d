package dev.keyline.platform.run;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.access.Caller;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.store.MasterKey;
import dev.keyline.iam.policy.DemoPolicies;
import dev.keyline.token.clients.Client;
import dev.keyline.token.clients.ClientsFile;
import dev.keyline.token.jwt.LocalSigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code keyline up} prepares in the data directory on first start, and reuses afterwards:
 * a caller (token file, 0600) for each internal service with only its own namespace, the four
 * keys the services use, a demo OAuth client, the token service's fallback signing key, the
 * IAM admin token and a demo policy directory. Nothing here is ever overwritten once it exists, with
 * one exception: a demo client made before the IAM service required bearer tokens gains the scope
 * {@value #IAM_SCOPE} and the audience {@value #IAM_AUDIENCE} (its secret and everything else stay).
 */
final class Provisioning {
    private static final Logger LOG = LoggerFactory.getLogger(Provisioning.class);

    static final KeyId JWT_SIGNING = KeyId.of("token", "jwt-signing");
    static final KeyId TOKEN_CACHE = KeyId.of("token", "cache-encryption");
    static final KeyId DECISION_SIGNING = KeyId.of("iam", "decision-signing");
    static final KeyId IAM_CACHE = KeyId.of("iam", "cache-encryption");
    static final String DEMO_CLIENT = "demo";
    /** What the demo client needs to call the IAM policy service (its access tokens' scope and audience). */
    static final String IAM_SCOPE = "iam:authorize";
    static final String IAM_AUDIENCE = "keyline-iam";

    /** Where the prepared files are. */
    record Prepared(Path tokenServiceToken, Path iamToken, Path clientsFile, Path demoClientSecret, Path tokenFallbackKey,
            Path iamAdminToken, Path policyDir) { }

    private Provisioning() {
    }

    static Prepared run(CryptoServer crypto, Path dataDir, SecureRandom random) {
        Path tokenCaller = caller(crypto, dataDir, ServiceCaller.TOKEN_SERVICE, random);
        Path iamCaller = caller(crypto, dataDir, ServiceCaller.IAM_POLICY_SERVICE, random);
        crypto.keys().ensure(JWT_SIGNING, KeyAlgorithm.ECDSA_P256_SHA256);
        crypto.keys().ensure(TOKEN_CACHE, KeyAlgorithm.AES_256_GCM);
        crypto.keys().ensure(DECISION_SIGNING, KeyAlgorithm.ECDSA_P256_SHA256);
        crypto.keys().ensure(IAM_CACHE, KeyAlgorithm.AES_256_GCM);

        Path clients = dataDir.resolve("clients.json");
        Path demoSecret = dataDir.resolve("demo-client.secret");
        if (!Files.exists(clients)) {
            Client.NewClient demo = Client.create(DEMO_CLIENT, Set.of(Client.CLIENT_CREDENTIALS, Client.REFRESH_TOKEN, Client.SESSIONS_ISSUE),
                    List.of("documents:read", "documents:write", IAM_SCOPE), List.of("demo-api", IAM_AUDIENCE), Duration.ofMinutes(15),
                    Duration.ofDays(30), random);
            ClientsFile.write(clients, List.of(demo.client()));
            writeSecret(demoSecret, demo.secret());
            LOG.info("created the demo OAuth client '{}'; its secret is in {}", DEMO_CLIENT, demoSecret);
        } else {
            grantIamToDemoClient(clients);
        }
        Path fallback = dataDir.resolve("token-fallback.pem");
        if (!Files.exists(fallback)) {
            LocalSigner.writeNewKeyFile(fallback, KeyAlgorithm.ECDSA_P256_SHA256, random);
            LOG.warn("created the token service's fallback signing key {} (mode 0600); it signs while the crypto service is"
                    + " unreachable. For production, provide your own with KEYLINE_TOKEN_FALLBACK_KEY_FILE", fallback);
        }
        Path iamAdmin = dataDir.resolve("iam-admin.token");
        if (!Files.exists(iamAdmin)) {
            byte[] raw = new byte[32];
            random.nextBytes(raw);
            writeSecret(iamAdmin, Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
        }
        Path policies = dataDir.resolve("policies");
        if (DemoPolicies.installIfAbsent(policies)) {
            LOG.info("installed the demo policies in {}", policies);
        }
        return new Prepared(tokenCaller, iamCaller, clients, demoSecret, fallback, iamAdmin, policies);
    }

    /** Adds the IAM scope and audience to a demo client that lacks them (data directories made by older versions). */
    private static void grantIamToDemoClient(Path clients) {
        List<Client> all = ClientsFile.read(clients, Duration.ofMinutes(15), Duration.ofDays(30));
        List<Client> updated = new java.util.ArrayList<>(all.size());
        boolean changed = false;
        for (Client c : all) {
            if (c.id().equals(DEMO_CLIENT) && (!c.scopes().contains(IAM_SCOPE) || !c.audience().contains(IAM_AUDIENCE))) {
                List<String> scopes = new java.util.ArrayList<>(c.scopes());
                List<String> audience = new java.util.ArrayList<>(c.audience());
                if (!scopes.contains(IAM_SCOPE)) {
                    scopes.add(IAM_SCOPE);
                }
                if (!audience.contains(IAM_AUDIENCE)) {
                    audience.add(IAM_AUDIENCE);
                }
                updated.add(new Client(c.id(), c.secretHash(), c.grants(), scopes, audience, c.accessTokenLifetime(), c.refreshTokenLifetime(),
                        c.sessionClients()));
                changed = true;
            } else {
                updated.add(c);
            }
        }
        if (changed) {
            ClientsFile.write(clients, updated);
            LOG.info("gave the demo OAuth client '{}' the scope {} and the audience {} the IAM policy service requires", DEMO_CLIENT, IAM_SCOPE,
                    IAM_AUDIENCE);
        }
    }

    /**
     * The token file of {@code service}'s caller, issuing a new token when the file is missing, no
     * longer accepted, or its caller holds other grants than the least the service needs (data
     * directories from before least-privilege grants held wider ones).
     */
    private static Path caller(CryptoServer crypto, Path dataDir, ServiceCaller service, SecureRandom random) {
        String name = service.callerName();
        Path file = dataDir.resolve(name + ".token");
        if (Files.exists(file)) {
            try {
                String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
                Caller caller = crypto.access().authenticate(token);
                if (caller.name().equals(name) && caller.grants().equals(service.grants())) {
                    return file;
                }
                LOG.info("re-issuing the token of {} with the grants it needs: {}", name, Grant.formatList(service.grants()));
            } catch (CryptoException e) {
                LOG.warn("{} holds a token the crypto service no longer accepts; issuing a new one", file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }
        String token = crypto.access().issue(name, service.grants()).token();
        writeSecret(file, token);
        return file;
    }

    private static void writeSecret(Path file, String text) {
        try {
            Files.deleteIfExists(file);
            MasterKey.SecretFiles.writeNew(file, text + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
