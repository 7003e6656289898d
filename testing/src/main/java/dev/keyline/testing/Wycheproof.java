package dev.keyline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Project Wycheproof test vectors (Apache-2.0), read from {@code shared/testdata/wycheproof}
 * beside the repository: the checkout is {@code <x>/main} and the vectors live in
 * {@code <x>/shared}, so the folder is found by walking up from the working directory.
 *
 * <p>Everything here fails loudly: a missing folder, a missing file or a file whose test count
 * does not match its header throws, so a broken checkout can never turn into a green run that
 * checked nothing.
 */
public final class Wycheproof {
    /** Where the vectors live, relative to some parent of the working directory. */
    public static final Path RELATIVE_DIRECTORY = Path.of("shared", "testdata", "wycheproof");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    private Wycheproof() {
    }

    /**
     * The vector folder, found by looking for {@link #RELATIVE_DIRECTORY} in the working directory
     * and each of its parents.
     *
     * @throws IllegalStateException when no parent has the folder
     */
    public static Path directory() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        return locate(start).orElseThrow(() -> new IllegalStateException(
                "Wycheproof vectors not found: no " + RELATIVE_DIRECTORY + " folder in " + start
                        + " or any of its parents (expected <x>/main beside <x>/shared)"));
    }

    /** The vector folder in {@code start} or the nearest parent that has one. */
    public static Optional<Path> locate(Path start) {
        for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(RELATIVE_DIRECTORY);
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Names of every {@code *.json} vector file in {@link #directory()}, sorted. */
    public static List<String> fileNames() {
        try (Stream<Path> files = Files.list(directory())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory(), e);
        }
    }

    /** Loads {@code fileName} (for example {@code aes_gcm_test.json}) from {@link #directory()}. */
    public static TestFile load(String fileName) {
        return load(directory().resolve(fileName));
    }

    /** Loads one vector file. */
    public static TestFile load(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Wycheproof file " + file, e);
        }
        List<TestGroup> groups = new ArrayList<>();
        for (JsonNode group : required(root, "testGroups", file)) {
            List<TestVector> tests = new ArrayList<>();
            for (JsonNode test : required(group, "tests", file)) {
                tests.add(TestVector.of(test, file));
            }
            groups.add(new TestGroup(group, List.copyOf(tests)));
        }
        TestFile loaded = new TestFile(file.getFileName().toString(), required(root, "algorithm", file).asText(),
                required(root, "numberOfTests", file).asInt(), List.copyOf(groups));
        if (loaded.vectorCount() != loaded.numberOfTests()) {
            throw new IllegalStateException(file + " declares " + loaded.numberOfTests() + " tests but holds "
                    + loaded.vectorCount());
        }
        return loaded;
    }

    private static JsonNode required(JsonNode node, String field, Path file) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalStateException(file + ": missing field '" + field + "'");
        }
        return value;
    }

    /** What Wycheproof expects an implementation to do with a vector. */
    public enum Result {
        /** Must be accepted. */
        VALID,
        /** Must be rejected. */
        INVALID,
        /** May be accepted or rejected; usually a legacy or edge-case encoding. */
        ACCEPTABLE;

        static Result parse(String text) {
            return switch (text) {
                case "valid" -> VALID;
                case "invalid" -> INVALID;
                case "acceptable" -> ACCEPTABLE;
                default -> throw new IllegalStateException("unknown Wycheproof result '" + text + "'");
            };
        }
    }

    /** One vector file: its header and its groups. */
    public record TestFile(String fileName, String algorithm, int numberOfTests, List<TestGroup> groups) {
        public TestFile {
            Objects.requireNonNull(fileName, "fileName");
            Objects.requireNonNull(algorithm, "algorithm");
            groups = List.copyOf(groups);
        }

        /** How many vectors the groups hold. */
        public int vectorCount() {
            return groups.stream().mapToInt(g -> g.tests().size()).sum();
        }
    }

    /**
     * A group of vectors sharing parameters (key, sizes, hash). Field access is strict: asking for
     * a field the group lacks throws.
     */
    public record TestGroup(JsonNode json, List<TestVector> tests) {
        public TestGroup {
            Objects.requireNonNull(json, "json");
            tests = List.copyOf(tests);
        }

        public boolean has(String field) {
            return json.hasNonNull(field);
        }

        public String string(String field) {
            return field(json, field).asText();
        }

        public int integer(String field) {
            JsonNode value = field(json, field);
            if (!value.canConvertToInt()) {
                throw new IllegalStateException("group field '" + field + "' is not an int: " + value);
            }
            return value.asInt();
        }

        /** A hex-encoded field, decoded. */
        public byte[] hex(String field) {
            return decodeHex(field(json, field).asText(), field);
        }

        /** A nested object, for example {@code publicKey}. */
        public JsonNode node(String field) {
            return field(json, field);
        }
    }

    /** One vector. {@link #hex} decodes the hex fields (key, iv, msg, ct, tag, sig). */
    public record TestVector(int tcId, String comment, List<String> flags, Result result, JsonNode json) {
        public TestVector {
            Objects.requireNonNull(comment, "comment");
            Objects.requireNonNull(result, "result");
            Objects.requireNonNull(json, "json");
            flags = List.copyOf(flags);
        }

        static TestVector of(JsonNode test, Path file) {
            List<String> flags = new ArrayList<>();
            JsonNode f = test.get("flags");
            if (f != null) {
                f.forEach(n -> flags.add(n.asText()));
            }
            JsonNode comment = test.get("comment");
            return new TestVector(required(test, "tcId", file).asInt(), comment == null ? "" : comment.asText(), flags,
                    Result.parse(required(test, "result", file).asText()), test);
        }

        public byte[] hex(String field) {
            return decodeHex(field(json, field).asText(), field);
        }

        public String string(String field) {
            return field(json, field).asText();
        }

        /** {@code tcId 12 (invalid, ModifiedTag: comment)} — for failure messages. */
        public String describe() {
            return "tcId " + tcId + " (" + result.name().toLowerCase(Locale.ROOT)
                    + (flags.isEmpty() ? "" : ", " + String.join(",", flags))
                    + (comment.isEmpty() ? "" : ": " + comment) + ")";
        }
    }

    private static JsonNode field(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalStateException("Wycheproof field '" + field + "' is missing");
        }
        return value;
    }

    private static byte[] decodeHex(String text, String field) {
        try {
            return HEX.parseHex(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Wycheproof field '" + field + "' is not hex", e);
        }
    }
}
