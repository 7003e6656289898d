package dev.keyline.platform.bench;

import dev.keyline.crypto.client.CryptoClientConfig;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.service.access.Grant;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.token.clients.Client;
import dev.keyline.token.jwt.LocalSigner;
import dev.keyline.token.server.TokenServer;
import dev.keyline.token.server.TokenServerConfig;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code keyline bench token}: {@link TokenLoad} (client_credentials over HTTP/1.1 keep-alive)
 * against a token service this benchmark starts, with its crypto service, in this JVM on loopback;
 * once with ES256 signed by the crypto service and once with the local key. Or, given an
 * endpoint, against any RFC 6749 token endpoint. Reports the token service's figures and their targets.
 */
final class TokenBench {
    static final String NAME = "token";
    static final String SCOPE = "token service";
    static final String CRYPTO_ROW = "client_credentials, ES256 via crypto service";
    static final String LOCAL_ROW = "client_credentials, ES256 local key";

    private static final String GRANTS = "token:sign,verify,read,encrypt,decrypt,data-key,manage";
    private static final KeyId SIGNING_KEY = KeyId.of("token", "jwt-signing");
    private static final String ISSUED_METER = "keyline_token_access_tokens_total";

    /** Where the load goes. */
    sealed interface Endpoint permits Started, External { }

    /** A crypto service and a token service started by the benchmark, in this JVM. */
    record Started() implements Endpoint { }

    /**
     * Any RFC 6749 token endpoint (http only: the load generator speaks plain HTTP/1.1).
     *
     * @param serverPid the server's process id on this machine, for its CPU and RSS; -1 when unknown
     */
    record External(URI tokenUrl, String clientId, String clientSecret, long serverPid) implements Endpoint {
        External {
            Objects.requireNonNull(tokenUrl, "tokenUrl");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(clientSecret, "clientSecret");
        }

        @Override
        public String toString() {
            return "External[" + tokenUrl + ", " + clientId + ", secret redacted, pid " + serverPid + "]";
        }
    }

    private final Duration warmup;
    private final Duration measure;
    private final int concurrency;
    private final Progress progress;

    TokenBench(Duration warmup, Duration measure, int concurrency, Progress progress) {
        if (concurrency < 1 || concurrency > 1024) {
            throw new IllegalArgumentException("concurrency must be between 1 and 1024");
        }
        this.warmup = warmup;
        this.measure = measure;
        this.concurrency = concurrency;
        this.progress = progress;
    }

    Suite run(Endpoint endpoint) throws InterruptedException {
        return switch (endpoint) {
            case Started s -> inProcess();
            case External e -> external(e);
        };
    }

    private Suite inProcess() throws InterruptedException {
        SecureRandom random = new SecureRandom();
        progress.step("starting a crypto service and a token service on loopback");
        try (ScratchDir dir = ScratchDir.create("keyline-bench-token");
                CryptoServer crypto = CryptoServer.start(CryptoServiceConfig.defaults(dir.resolve("crypto")).grpcPort(0).httpPort(0).build(),
                        new CryptoServer.Network(), false, InstantSource.system())) {
            String callerToken = crypto.access().issue("token-service", Grant.parseList(GRANTS)).token();
            crypto.keys().ensure(SIGNING_KEY, KeyAlgorithm.ECDSA_P256_SHA256);
            Path localKey = dir.resolve("local.pem");
            Path fallbackKey = dir.resolve("fallback.pem");
            LocalSigner.writeNewKeyFile(localKey, KeyAlgorithm.ECDSA_P256_SHA256, random);
            LocalSigner.writeNewKeyFile(fallbackKey, KeyAlgorithm.ECDSA_P256_SHA256, random);
            Client.NewClient client = Client.create("bench", Set.of(Client.CLIENT_CREDENTIALS), List.of("bench"), List.of("bench-api"),
                    Duration.ofMinutes(15), Duration.ofDays(1), random);
            // As `keyline up` runs it (crypto signer, fallback key, encrypted family storage, sign batching), except
            // that the freshly created key signs at once (no publication delay to wait out before measuring).
            TokenServerConfig config = TokenServerConfig.builder()
                    .httpPort(0)
                    .clients(List.of(client.client()))
                    .signer(TokenServerConfig.SignerKind.CRYPTO)
                    .signingKeyId(SIGNING_KEY.ringName())
                    .localKeyFile(localKey)
                    .fallbackKeyFile(fallbackKey)
                    .keyPublishDelay(Duration.ZERO)
                    .crypto(CryptoClientConfig.builder().clientName("token-service").endpoint("127.0.0.1:" + crypto.grpcPort())
                            .authToken(callerToken).callerHasFallback(true)
                            // The token service's own default (KEYLINE_TOKEN_SIGN_BATCH_*): coalesce concurrent signs.
                            .signBatching(64, dev.keyline.token.server.TokenServerConfig.DEFAULT_SIGN_BATCH_LINGER).build())
                    .build();
            try (TokenServer server = TokenServer.start(config)) {
                URI url = URI.create(server.baseUrl() + "/oauth2/token");
                TokenLoad.Options options = new TokenLoad.Options(url, "bench", client.secret(), concurrency, measure, warmup, -1);

                if (!warmup.isZero()) {
                    // The first run in a JVM pays for compiling the HTTP server, Nimbus and the gRPC client; without this,
                    // the crypto-service path (measured first) would look slower than it is next to the local key.
                    // On two cores the JIT needs well over ten seconds of load to finish compiling this stack
                    // (measured: 5.3k tokens/s after 2+2+2 s of warm-up, 7-8k after 3+3+3 s and more), so
                    // both paths get two rounds of twice the warm-up before anything is measured.
                    progress.step("warming up both signing paths");
                    for (int round = 0; round < 2; round++) {
                        for (boolean viaCrypto : new boolean[] {true, false}) {
                            server.setCryptoSigning(viaCrypto);
                            TokenLoad.run(new TokenLoad.Options(url, "bench", client.secret(), concurrency, warmup.multipliedBy(2),
                                    Duration.ZERO, -1));
                        }
                    }
                }
                server.setCryptoSigning(true);
                progress.step(CRYPTO_ROW + ", " + concurrency + " connections");
                Run viaCrypto = load(server, options, "crypto");
                server.setCryptoSigning(false);
                progress.step(LOCAL_ROW + ", " + concurrency + " connections");
                Run viaLocal = load(server, options, "local");

                List<Row> rows = List.of(viaCrypto.row(CRYPTO_ROW), viaLocal.row(LOCAL_ROW));
                List<Check> checks = new ArrayList<>();
                checks.add(Check.atLeast("tokens/s, ES256 via crypto service", viaCrypto.result.tokensPerSecond(), "tokens/s", 5000));
                checks.add(Check.atMost("p99, ES256 via crypto service", viaCrypto.result.p99Millis(), "ms", 20));
                checks.add(Check.atMost("RSS of this JVM after that run", viaCrypto.rssMegabytes, "MB", 400));
                checks.add(Check.atMost("tokens signed by another path in that run", viaCrypto.otherPath, "", 0));
                checks.add(Check.info("CPU per 1,000 tokens, crypto service", viaCrypto.result.loadCpuSecondsPer1000(), "CPU-s"));
                checks.add(Check.info("CPU per 1,000 tokens, local key", viaLocal.result.loadCpuSecondsPer1000(), "CPU-s"));
                checks.add(Check.info("p99, local key", viaLocal.result.p99Millis(), "ms"));
                checks.add(Check.info("RSS of this JVM after the local-key run", viaLocal.rssMegabytes, "MB"));
                checks.add(Check.info("crypto service / local key, tokens/s",
                        viaCrypto.result.tokensPerSecond() / viaLocal.result.tokensPerSecond(), ""));
                List<String> notes = List.of(
                        "load generator (" + concurrency + " keep-alive connections), token service and crypto service in one JVM;"
                                + " CPU and RSS are that whole JVM's (load generator included, as the target says)",
                        "JVM: max heap " + Machine.maxHeapMegabytes() + " MB, GC " + Machine.gcName(),
                        "a token counts as signed by another path when the token service's " + ISSUED_METER
                                + " meter says so (fallback or bridge key)");
                return new Suite(NAME, SCOPE, rows, checks, notes);
            }
        }
    }

    private Suite external(External e) throws InterruptedException {
        progress.step("client_credentials against " + e.tokenUrl() + ", " + concurrency + " connections");
        TokenLoad.Result r = TokenLoad.run(new TokenLoad.Options(e.tokenUrl(), e.clientId(), e.clientSecret(), concurrency, measure, warmup,
                e.serverPid()));
        String name = "client_credentials, " + e.tokenUrl();
        List<Check> checks = new ArrayList<>();
        checks.add(Check.atLeast("tokens/s", r.tokensPerSecond(), "tokens/s", 5000));
        checks.add(Check.atMost("p99", r.p99Millis(), "ms", 20));
        checks.add(Check.info("load generator CPU per 1,000 tokens", r.loadCpuSecondsPer1000(), "CPU-s"));
        if (e.serverPid() >= 0) {
            checks.add(Check.info("server CPU per 1,000 tokens", r.serverCpuSecondsPer1000(), "CPU-s"));
            checks.add(Check.atMost("server RSS", r.serverRssBytes() < 0 ? Double.NaN : r.serverRssBytes() / 1048576.0, "MB", 400));
        }
        List<String> notes = new ArrayList<>();
        notes.add("external endpoint: which key signs is up to that server; " + concurrency + " keep-alive connections");
        if (e.serverPid() < 0) {
            notes.add("no --server-pid: the server's CPU and RSS are not measured");
        }
        return new Suite(NAME, SCOPE, List.of(new Row(name, r.tokensPerSecond(), r.tokensPerSecond(), r.p50Millis() * 1000,
                r.p99Millis() * 1000, r.errors())), checks, notes);
    }

    /** One load run against the started server, with the signing paths its meter saw during the run. */
    private record Run(TokenLoad.Result result, double rssMegabytes, long otherPath) {
        Row row(String name) {
            return new Row(name, result.tokensPerSecond(), result.tokensPerSecond(), result.p50Millis() * 1000, result.p99Millis() * 1000,
                    result.errors());
        }
    }

    private Run load(TokenServer server, TokenLoad.Options options, String expectedSigner) throws InterruptedException {
        Map<String, Double> before = issuedBySigner(server);
        TokenLoad.Result r = TokenLoad.run(options);
        double rss = Machine.rssMegabytes();
        Map<String, Double> after = issuedBySigner(server);
        long other = 0;
        for (var e : after.entrySet()) {
            if (!e.getKey().equals(expectedSigner)) {
                other += Math.round(e.getValue() - before.getOrDefault(e.getKey(), 0.0));
            }
        }
        return new Run(r, rss, other);
    }

    private static Map<String, Double> issuedBySigner(TokenServer server) {
        Map<String, Double> m = new HashMap<>();
        for (Counter c : server.meters().find(ISSUED_METER).counters()) {
            m.merge(Objects.requireNonNullElse(c.getId().getTag("signer"), "?"), c.count(), Double::sum);
        }
        return m;
    }

    /** The secret from a file, trimmed: keeps it off the command line (and out of {@code ps}). */
    static String readSecret(Path file) throws IOException {
        return Files.readString(file).trim();
    }
}
