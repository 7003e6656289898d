package dev.keyline.iam.testing;

import dev.keyline.crypto.client.CryptoClient;
import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.client.CryptoClientFactory;
import dev.keyline.crypto.core.SecretBytes;
import dev.keyline.iam.server.IamServer;
import dev.keyline.iam.server.IamServerConfig;
import dev.keyline.testsupport.CryptoServiceFixture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A real crypto service, the real Redis (own key prefix) and an IAM server on a free loopback port
 * over a copy of the demo policies, with signing and L2 encryption on. Closing stops everything and
 * deletes the Redis keys.
 */
public final class IamFixture implements AutoCloseable {
    public static final String ADMIN_TOKEN = "iam-admin-token-for-tests-0001";

    /** What the IAM service's caller {@code iam} may do on the crypto service: exactly what it needs on {@code iam}. */
    public static final String CRYPTO_GRANTS = "iam:sign,verify,read,encrypt,decrypt,data-key,manage";

    /** The client id of {@link #http}'s token. */
    public static final String CALLER = "test-app";

    private static final Duration PROVISIONING_LIMIT = Duration.ofSeconds(30);
    private static final Duration POLL_EVERY = Duration.ofMillis(100);

    public final CryptoServiceFixture crypto;
    public final Redis redis;
    public final Tokens tokens;
    public final IamServer iam;
    /** Calls the API with a token of {@link #CALLER} holding {@code iam:authorize} and {@code iam:admin}. */
    public final Http http;
    public final Path policyDir;

    private IamFixture(CryptoServiceFixture crypto, Redis redis, Tokens tokens, IamServer iam, Path policyDir) {
        this.crypto = crypto;
        this.redis = redis;
        this.tokens = tokens;
        this.iam = iam;
        this.http = new Http(iam.baseUrl(), tokens.mint(CALLER, "iam:authorize iam:admin"));
        this.policyDir = policyDir;
    }

    public static IamFixture start(Path dir, String name) {
        return start(dir, name, b -> b);
    }

    /** As {@link #start(Path, String)}, with {@code tweak} applied to the configuration last. */
    public static IamFixture start(Path dir, String name, UnaryOperator<IamServerConfig.Builder> tweak) {
        CryptoServiceFixture crypto = CryptoServiceFixture.start(dir.resolve("crypto"));
        Redis redis = new Redis(name);
        Tokens tokens = new Tokens();
        try {
            Path policies = PolicyDirs.demo(dir);
            IamServerConfig config = tweak.apply(defaults(dir, policies, redis.prefix()).cryptoEndpoint(crypto.endpoint())
                    .cryptoToken(iamToken(crypto)).authJwksUrl(tokens.jwksUrl())).build();
            IamServer iam = IamServer.start(config);
            return new IamFixture(crypto, redis, tokens, iam, policies);
        } catch (RuntimeException e) {
            tokens.close();
            redis.close();
            crypto.close();
            throw e;
        }
    }

    /** The token of the IAM service's caller {@code iam} ({@link #CRYPTO_GRANTS}) on {@code crypto}. */
    public static String iamToken(CryptoServiceFixture crypto) {
        return crypto.callerToken("iam", CRYPTO_GRANTS);
    }

    /** A crypto client for the {@code iam} caller with fast retries, for tests that call the service directly. */
    public static CryptoClient cryptoClient(CryptoServiceFixture crypto) {
        return CryptoClientFactory.builder(CryptoClientConfig.builder().clientName("iam-test").endpoint(crypto.endpoint())
                .authToken(iamToken(crypto)).timeout(Duration.ofSeconds(5)).encryptionKeyId("iam/decision-cache")
                .signingKeyId("iam/decision-signing").callerHasFallback(true).envelopeContext("keyline-iam-decision-cache").build())
                .meterRegistry(new SimpleMeterRegistry()).build();
    }

    /**
     * Waits until the service {@code http} calls has its decision-signing key: {@code GET
     * /v1/decisions/jwks} lists one or more. A fresh service creates its keys at start, and keeps
     * trying in the background while the crypto service does not answer (or not yet over TLS), so
     * its first decisions may be unsigned. Polls every 100 ms for at most 30 s, then fails.
     *
     * @return how many keys the JWK set lists
     */
    public static int awaitSigningKey(Http http) {
        long deadline = System.nanoTime() + PROVISIONING_LIMIT.toNanos();
        while (true) {
            Http.Response r = http.get("/v1/decisions/jwks");
            int keys = r.status() == 200 ? r.body().path("keys").size() : 0;
            if (keys > 0) {
                return keys;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the decision-signing key was not provisioned within " + PROVISIONING_LIMIT + "; last answer "
                        + r.status() + " " + r.raw());
            }
            try {
                // A pause between polls of the condition above, not a wait standing in for it.
                Thread.sleep(POLL_EVERY);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the decision-signing key", e);
            }
        }
    }

    /** Test defaults: free port, no watcher, Redis L2 under {@code prefix}, encryption and signing on, a random HMAC key. */
    public static IamServerConfig.Builder defaults(Path dir, Path policies, String prefix) {
        byte[] hmac = new byte[32];
        new SecureRandom().nextBytes(hmac);
        return IamServerConfig.defaults(dir).httpPort(0).managementPort(0).authIssuer(Tokens.ISSUER).authAudience(Tokens.AUDIENCE)
                .policyDir(policies).watchPolicies(false).redis(Redis.URL, prefix)
                .redisTimeout(Duration.ofSeconds(2)).cacheHmacKey(SecretBytes.wrap(hmac))
                .adminToken(SecretBytes.copyOf(ADMIN_TOKEN.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
        try {
            iam.close();
        } finally {
            tokens.close();
            redis.close();
            crypto.close();
        }
    }
}
