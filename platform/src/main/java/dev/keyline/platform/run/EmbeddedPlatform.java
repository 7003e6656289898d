package dev.keyline.platform.run;

import dev.keyline.kit.config.Settings;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.iam.server.IamServer;
import dev.keyline.iam.server.IamServerConfig;
import dev.keyline.kit.Tracing;
import dev.keyline.token.server.TokenServer;
import dev.keyline.token.server.TokenServerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code keyline up}: the crypto service, then (with what {@link Provisioning} prepared) the token
 * service and the IAM policy service, each reaching the crypto service over loopback gRPC with a
 * token of its own that grants only its namespace. The platform's choices are defaults: every
 * one of them can still be set (environment or YAML).
 */
final class EmbeddedPlatform implements Running {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPlatform.class);

    private final CryptoServiceConfig cryptoConfig;
    /** The crypto, token and IAM services' tracing, closed after all three. */
    private final List<Tracing> tracings;
    private volatile CryptoServer crypto;
    private final TokenServer token;
    private final IamServer iam;
    private final Provisioning.Prepared prepared;
    private final Map<String, String> settings;

    private EmbeddedPlatform(CryptoServiceConfig cryptoConfig, List<Tracing> tracings, CryptoServer crypto, TokenServer token, IamServer iam,
            Provisioning.Prepared prepared, Map<String, String> settings) {
        this.cryptoConfig = cryptoConfig;
        this.tracings = tracings;
        this.crypto = crypto;
        this.token = token;
        this.iam = iam;
        this.prepared = prepared;
        this.settings = settings;
    }

    static EmbeddedPlatform start(Settings settings) {
        CryptoServiceConfig cryptoConfig = CryptoServiceConfig.fromEnvironment(settings).build();
        Tracing cryptoTracing = ServiceTracing.of(settings, ServiceTracing.CRYPTO);
        CryptoServer crypto = ServiceTracing.startCrypto(cryptoConfig, cryptoTracing);
        Tracing tokenTracing = Tracing.off();
        Tracing iamTracing = Tracing.off();
        TokenServer token = null;
        try {
            tokenTracing = ServiceTracing.of(settings, ServiceTracing.TOKEN);
            iamTracing = ServiceTracing.of(settings, ServiceTracing.IAM);
            Path dataDir = cryptoConfig.dataDir();
            Provisioning.Prepared p = Provisioning.run(crypto, dataDir, new SecureRandom());
            String host = cryptoConfig.grpcHost();
            String endpoint = (host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host) + ":" + crypto.grpcPort();
            Settings services = settings.withDefaults(Map.ofEntries(
                    Map.entry("KEYLINE_TOKEN_CRYPTO_ENDPOINT", endpoint),
                    Map.entry("KEYLINE_TOKEN_CRYPTO_AUTH_TOKEN_FILE", p.tokenServiceToken().toString()),
                    Map.entry("KEYLINE_TOKEN_CLIENTS_FILE", p.clientsFile().toString()),
                    Map.entry("KEYLINE_TOKEN_FALLBACK_KEY_FILE", p.tokenFallbackKey().toString()),
                    Map.entry("KEYLINE_TOKEN_SIGNING_KEY", Provisioning.JWT_SIGNING.ringName()),
                    Map.entry("KEYLINE_TOKEN_ENCRYPTION_KEY", Provisioning.TOKEN_CACHE.ringName()),
                    Map.entry("KEYLINE_IAM_CRYPTO_ENDPOINT", endpoint),
                    Map.entry("KEYLINE_IAM_CRYPTO_AUTH_TOKEN_FILE", p.iamToken().toString()),
                    Map.entry("KEYLINE_IAM_SIGNING_KEY_ID", Provisioning.DECISION_SIGNING.ringName()),
                    Map.entry("KEYLINE_IAM_ENCRYPTION_KEY_ID", Provisioning.IAM_CACHE.ringName()),
                    Map.entry("KEYLINE_IAM_POLICY_DIR", p.policyDir().toString()),
                    Map.entry("KEYLINE_IAM_ADMIN_TOKEN", readSecret(p.iamAdminToken()))));
            try {
                token = TokenServer.builder(TokenServerConfig.fromEnvironment(services)).tracing(tokenTracing).start();
                // Callers of the IAM service authenticate with access tokens of this token service.
                Settings iamSettings = services.withDefaults(Map.of(
                        "KEYLINE_IAM_AUTH_JWKS_URL", token.baseUrl() + "/.well-known/jwks.json",
                        "KEYLINE_IAM_AUTH_ISSUER", token.issuer(),
                        "KEYLINE_IAM_AUTH_AUDIENCE", Provisioning.IAM_AUDIENCE));
                IamServer iam;
                try {
                    iam = IamServer.builder(IamServerConfig.fromEnvironment(iamSettings)).tracing(iamTracing).start();
                } finally {
                    services.absorbAsked(iamSettings);
                }
                settings.absorbAsked(services);
                LOG.info("keyline is up: crypto grpc={} token={} iam={}", endpoint, token.baseUrl(), iam.baseUrl());
                return new EmbeddedPlatform(cryptoConfig, List.of(cryptoTracing, tokenTracing, iamTracing), crypto, token, iam, p, settings);
            } finally {
                settings.absorbAsked(services);
            }
        } catch (RuntimeException e) {
            if (token != null) {
                token.close();
            }
            crypto.close();
            cryptoTracing.close();
            tokenTracing.close();
            iamTracing.close();
            throw e;
        }
    }

    CryptoServer crypto() {
        return crypto;
    }

    TokenServer token() {
        return token;
    }

    IamServer iam() {
        return iam;
    }

    Provisioning.Prepared prepared() {
        return prepared;
    }

    /** Stops the crypto service alone (the others keep running on their fallbacks): outage drills and tests. */
    void stopCrypto() {
        crypto.close();
    }

    /** Starts the crypto service again with the same configuration, data and ports. */
    void startCrypto() {
        crypto = CryptoServer.start(cryptoConfig, tracings.get(0));
    }

    private static String readSecret(Path file) {
        try {
            return java.nio.file.Files.readString(file).trim();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public void printBanner(PrintWriter out) {
        new Banner("Keyline is up", cryptoConfig, crypto, settings).print(out, false);
        String dataDir = relative(cryptoConfig.dataDir());
        out.println("  token        " + token.baseUrl() + "/oauth2/token   JWKS " + token.baseUrl() + "/.well-known/jwks.json");
        out.println("  IAM          " + iam.baseUrl() + "/v1/authorize   keys " + iam.baseUrl() + "/v1/decisions/jwks"
                + iam.managementUrl().map(m -> "   metrics " + m + "/metrics").orElse(""));
        out.println("  demo client  id 'demo', secret in " + prepared.demoClientSecret().toAbsolutePath()
                + "; demo policies in " + prepared.policyDir().toAbsolutePath());
        out.println("Try (from this directory; IAM callers need a token with scope " + Provisioning.IAM_SCOPE + "):");
        for (String line : demoCommands(dataDir, token.baseUrl(), iam.baseUrl())) {
            out.println("  " + line);
        }
        out.println("Stop with Ctrl-C.");
    }

    /** The three demo commands: a token from the token service, a decision with it, its verification. */
    static List<String> demoCommands(String dataDir, String tokenUrl, String iamUrl) {
        return List.of(
                "TOKEN=$(curl -s -u \"demo:$(cat " + dataDir + "/demo-client.secret)\" -d grant_type=client_credentials -d scope="
                        + Provisioning.IAM_SCOPE + " " + tokenUrl + "/oauth2/token | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')",
                "curl -s -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' -d '{\"subject\":{\"type\":\"User\","
                        + "\"id\":\"alice\"},\"action\":\"read\",\"resource\":{\"type\":\"Document\",\"id\":\"roadmap\"}}' " + iamUrl
                        + "/v1/authorize > decision.json",
                "curl -s -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' -d @decision.json " + iamUrl
                        + "/v1/decisions/verify");
    }

    private static String relative(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path cwd = Path.of("").toAbsolutePath();
        return abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
    }

    /** The token service last (it depends on nothing else), the crypto service first to start and last to stop. */
    @Override
    public void close() {
        try {
            iam.close();
        } finally {
            try {
                token.close();
            } finally {
                try {
                    crypto.close();
                } finally {
                    tracings.forEach(Tracing::close);
                }
            }
        }
    }
}
