package dev.keyline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority for TLS tests, made with the machine's {@code openssl}:
 * P-256 keys, certificates valid for two days, every file in one directory. A CA named {@code ca}
 * writes {@code ca.pem} and {@code ca.key}; {@link #issue} writes {@code <name>.pem} and
 * {@code <name>.key} (PKCS#8, as Netty and the gRPC credentials want it).
 */
public final class TestPki {
    private final Path dir;
    private final String ca;

    private TestPki(Path dir, String ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A new self-signed CA in {@code dir}: {@code <file>.pem} and {@code <file>.key}, subject {@code CN=<commonName>}. */
    public static TestPki create(Path dir, String file, String commonName) {
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=" + commonName, "-keyout", file + ".key", "-out", file + ".pem");
        return new TestPki(dir, file);
    }

    /** The CA's certificate, for trust stores. */
    public Path certificate() {
        return dir.resolve(ca + ".pem");
    }

    /**
     * A certificate for {@code name} signed by this CA, with subject alternative names such as
     * {@code "IP:127.0.0.1,DNS:localhost"} (none if empty): {@code <name>.pem} and {@code <name>.key}.
     */
    public void issue(String name, String subjectAltNames) {
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                "-keyout", name + ".raw.key", "-out", name + ".csr");
        openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-in", name + ".raw.key", "-out", name + ".key");
        List<String> args = new ArrayList<>(List.of("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-days", "2", "-out", name + ".pem"));
        if (!subjectAltNames.isEmpty()) {
            write(dir.resolve(name + ".ext"), "subjectAltName=" + subjectAltNames + "\n");
            args.addAll(List.of("-extfile", name + ".ext"));
        }
        openssl(dir, args.toArray(String[]::new));
    }

    /** Runs {@code openssl} in {@code dir}; fails with its output when it does. */
    public static void openssl(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("openssl " + String.join(" ", args) + " did not finish in 30 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("openssl is needed for TLS tests (CI machines have it)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running openssl", e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
