package dev.keyline.platform.run;

import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a person needs after {@code keyline up}: where it listens, where the admin token is, which
 * provider does what, and two commands to paste (with the settings that differ from the defaults,
 * so they reach this instance from another shell).
 */
final class Banner {
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

    private final String title;
    private final CryptoServiceConfig config;
    private final CryptoServer server;
    private final Map<String, String> env;

    Banner(String title, CryptoServiceConfig config, CryptoServer server, Map<String, String> env) {
        this.title = title;
        this.config = config;
        this.server = server;
        this.env = env;
    }

    void print(PrintWriter out) {
        print(out, true);
    }

    /** The crypto service's lines; with {@code withExamples}, the CLI examples and the stop hint too. */
    void print(PrintWriter out, boolean withExamples) {
        String grpc = config.grpcHost() + ":" + server.grpcPort();
        String http = "http://" + config.httpHost() + ":" + server.httpPort();
        String transport = !config.tlsEnabled() ? "plaintext" : config.tlsClientCa() == null ? "TLS" : "mutual TLS";
        out.println(title);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"gRPC", grpc + "  (" + transport + "; keyline.crypto.v1.CryptoService, grpc.health.v1, reflection)"});
        rows.add(new String[] {"HTTP", http + "/health  " + http + "/metrics"});
        rows.add(new String[] {"data dir", config.dataDir().toAbsolutePath() + "  (key store: " + store() + ")"});
        rows.add(new String[] {"admin token", adminToken()});
        rows.add(new String[] {"audit log", config.auditLog().toAbsolutePath().toString()});
        rows.add(new String[] {"providers", providers()});
        for (String[] r : rows) {
            out.println("  " + r[0] + " ".repeat(13 - r[0].length()) + r[1]);
        }
        if (!withExamples) {
            return;
        }
        out.println("Try:");
        String prefix = envPrefix();
        String tls = config.tlsEnabled() ? " --tls-ca CA.pem" : "";
        out.println("  " + prefix + "./keyline keys create demo/hello --algorithm AES_256_GCM" + tls);
        out.println("  " + prefix + "./keyline encrypt demo/hello --plaintext hi" + tls);
        out.println("Stop with Ctrl-C.");
    }

    private String store() {
        String url = config.storeUrl();
        if (url.startsWith("jdbc:sqlite:")) {
            return "SQLite " + url.substring("jdbc:sqlite:".length());
        }
        // Never print credentials: drop the query string and any user info.
        String shown = url.replaceFirst("\\?.*$", "").replaceFirst("//[^/@]*@", "//");
        return shown;
    }

    private String adminToken() {
        Path file = server.adminTokenFile().toAbsolutePath();
        if (server.createdAdminToken().isPresent()) {
            return file + "  (created now, mode 0600)";
        }
        if (Files.exists(file)) {
            return file.toString();
        }
        return "none on disk (" + file + " was removed); issue one with ./keyline callers create NAME --grants '*:*'";
    }

    /** One line: each provider with the algorithms it serves. */
    static String providers() {
        Map<String, List<String>> byProvider = new LinkedHashMap<>();
        String nativeStatus = "";
        for (Map.Entry<String, String> e : CryptoProviders.defaults().report().entrySet()) {
            if (e.getKey().equals("native provider")) {
                nativeStatus = e.getValue();
            } else {
                byProvider.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
            }
        }
        List<String> parts = new ArrayList<>();
        byProvider.forEach((p, algs) -> parts.add(p + ": " + String.join(", ", algs)));
        String line = String.join(" | ", parts);
        return nativeStatus.startsWith("loaded") ? line : line + "  (native provider " + nativeStatus + ")";
    }

    /** The settings a second shell needs to reach this instance, as {@code VAR=value } pairs. */
    private String envPrefix() {
        StringBuilder sb = new StringBuilder();
        String dataDir = env.get("KEYLINE_DATA_DIR");
        if (dataDir != null && !Path.of(dataDir).normalize().equals(Path.of("keyline-data"))) {
            sb.append("KEYLINE_DATA_DIR=").append(quoted(dataDir)).append(' ');
        }
        String host = config.grpcHost();
        if (!host.equals("127.0.0.1") && !host.equals("0.0.0.0") && !host.equals("::")) {
            sb.append("KEYLINE_CRYPTO_GRPC_HOST=").append(quoted(host)).append(' ');
        }
        if (server.grpcPort() != CryptoServiceConfig.DEFAULT_GRPC_PORT) {
            sb.append("KEYLINE_CRYPTO_GRPC_PORT=").append(server.grpcPort()).append(' ');
        }
        return sb.toString();
    }

    private static String quoted(String v) {
        return SHELL_SAFE.matcher(v).matches() ? v : "'" + v.replace("'", "'\\''") + "'";
    }
}
