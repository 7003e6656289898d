package dev.keyline.platform.cli;

import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How an admin command reaches a running crypto service: address, bearer token and TLS.
 * Defaults come from the same {@code KEYLINE_*} variables the service reads, so a shell that
 * started the service can talk to it without flags.
 */
final class ServiceConnection {
    static final String TOKEN_ENV = "KEYLINE_TOKEN";

    @Option(names = "--address", paramLabel = "HOST:PORT",
            description = "The crypto service's gRPC address (default 127.0.0.1:$KEYLINE_CRYPTO_GRPC_PORT, else 127.0.0.1:50051).")
    String address;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Bearer token (visible to other local users in the process list: prefer $KEYLINE_TOKEN or --token-file).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the bearer token (default $KEYLINE_TOKEN, else $KEYLINE_DATA_DIR/admin.token).")
    Path tokenFile;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "Use TLS, trusting the CA certificates (PEM) in FILE.")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Client certificate chain (PEM) for mutual TLS; needs --tls-ca.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "Client private key (PEM, PKCS#8) for mutual TLS.")
    Path tlsKey;

    /** Opens a channel; nothing is sent until the first call. */
    CryptoSession open(Map<String, String> env) {
        String target = address != null ? address : defaultAddress(env);
        HostPort hp = HostPort.parse(target);
        Token t = resolveToken(env);
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(hp.host(), hp.port(), credentials())
                .userAgent("keyline-cli")
                .maxInboundMessageSize(64 << 20)
                .build();
        return new CryptoSession(channel, target, t.value(), t.source(), tlsCa != null);
    }

    static String defaultAddress(Map<String, String> env) {
        String host = env.getOrDefault("KEYLINE_CRYPTO_GRPC_HOST", "127.0.0.1").trim();
        if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = "127.0.0.1";
        }
        String port = env.getOrDefault("KEYLINE_CRYPTO_GRPC_PORT", String.valueOf(CryptoServiceConfig.DEFAULT_GRPC_PORT)).trim();
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    static Path dataDir(Map<String, String> env) {
        return dev.keyline.kit.config.ConfigReader.of(env).dataDir();
    }

    private record Token(String value, String source) { }

    private Token resolveToken(Map<String, String> env) {
        if (token != null) {
            return new Token(checked(token, "--token"), "--token");
        }
        if (tokenFile != null) {
            return new Token(readToken(tokenFile), tokenFile.toString());
        }
        String fromEnv = env.get(TOKEN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return new Token(checked(fromEnv, "$" + TOKEN_ENV), "$" + TOKEN_ENV);
        }
        Path file = dataDir(env).resolve(CryptoServer.ADMIN_TOKEN_FILE);
        if (!Files.exists(file)) {
            throw CliFailure.usage("no token: pass --token-file FILE, set " + TOKEN_ENV + ", or run where the service's data directory is"
                    + " (looked for " + file.toAbsolutePath() + "; set KEYLINE_DATA_DIR if the service uses another one)");
        }
        return new Token(readToken(file), file.toString());
    }

    private static String readToken(Path file) {
        try {
            return checked(Files.readString(file, StandardCharsets.UTF_8).trim(), file.toString());
        } catch (IOException e) {
            throw CliFailure.usage("cannot read the token file " + file + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }

    private static String checked(String value, String source) {
        String v = value.trim();
        // A header value must be printable ASCII; anything else is a copy-paste accident.
        if (v.isEmpty() || !v.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw CliFailure.usage("the token from " + source + " is empty or has characters a token never has");
        }
        return v;
    }

    private ChannelCredentials credentials() {
        if (tlsCa == null) {
            if (tlsCert != null || tlsKey != null) {
                throw CliFailure.usage("--tls-cert and --tls-key need --tls-ca");
            }
            return InsecureChannelCredentials.create();
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw CliFailure.usage("--tls-cert and --tls-key go together");
        }
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(tlsCa.toFile());
            if (tlsCert != null) {
                b.keyManager(tlsCert.toFile(), tlsKey.toFile());
            }
            return b.build();
        } catch (IOException | RuntimeException e) {
            throw CliFailure.usage("cannot load the TLS files: " + e.getMessage());
        }
    }

    /** {@code host:port}, with {@code [v6]:port} for IPv6 literals. */
    record HostPort(String host, int port) {
        static HostPort parse(String text) {
            String t = text.trim();
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1) {
                throw CliFailure.usage("--address must be HOST:PORT, got '" + text + "'");
            }
            String host = t.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw CliFailure.usage("--address: write IPv6 addresses as [ADDRESS]:PORT, got '" + text + "'");
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw CliFailure.usage("--address: the port must be a number from 1 to 65535, got '" + text + "'");
            }
            return new HostPort(host, port);
        }
    }
}
