package dev.keyline.platform.cli;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.keys.KeyId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/** Parsing of what users type: key ids, base64, durations, text-or-file inputs. */
final class Inputs {
    private Inputs() {
    }

    /** {@code NS/ID} or {@code NS/ID/V}; version 0 or absent means the key as a whole (or its primary). */
    static KeyId keyId(String text) {
        try {
            return KeyId.parse(text);
        } catch (CryptoException e) {
            throw CliFailure.usage("bad key id '" + text + "': " + e.getMessage());
        }
    }

    /** A key id without a version: what create and rotate act on. */
    static KeyId keyName(String text) {
        KeyId id = keyId(text);
        if (id.version() != 0) {
            throw CliFailure.usage("'" + text + "' names a version; this command takes NS/ID");
        }
        return id;
    }

    /** A key id with a concrete version, as the output of encrypt and sign names it. */
    static KeyId keyVersion(String text, String why) {
        KeyId id = keyId(text);
        if (id.version() == 0) {
            throw CliFailure.usage("'" + text + "' has no version; " + why);
        }
        return id;
    }

    /** Standard or URL-safe base64, padding optional. */
    static byte[] base64(String option, String value) {
        String v = value.trim();
        try {
            return Base64.getDecoder().decode(v);
        } catch (IllegalArgumentException e) {
            try {
                return Base64.getUrlDecoder().decode(v);
            } catch (IllegalArgumentException e2) {
                throw CliFailure.usage(option + " is not valid base64");
            }
        }
    }

    static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** ISO-8601 duration such as {@code P30D} or {@code PT12H}. */
    static Duration duration(String option, String value) {
        try {
            Duration d = Duration.parse(value.trim().toUpperCase(java.util.Locale.ROOT));
            if (d.isNegative() || d.isZero()) {
                throw CliFailure.usage(option + " must be positive, got " + value);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw CliFailure.usage(option + " must be an ISO-8601 duration such as P30D or PT12H, got '" + value + "'");
        }
    }

    /** The bytes of {@code file}, or of stdin when {@code file} is {@code -}. */
    static byte[] read(String file, InputStream stdin) throws IOException {
        if (file.equals("-")) {
            return stdin.readAllBytes();
        }
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) {
            throw CliFailure.usage("no such file: " + file);
        }
        return Files.readAllBytes(p);
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
