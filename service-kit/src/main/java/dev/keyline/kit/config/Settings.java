package dev.keyline.kit.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The settings the services read: environment variables over an optional YAML file. Every
 * setting has one name, its environment variable ({@code KEYLINE_CRYPTO_GRPC_PORT}); in YAML the
 * same name is written nested and in lower case without the prefix:
 *
 * <pre>
 * data_dir: /var/lib/keyline
 * store:
 *   url: jdbc:postgresql://127.0.0.1:5432/keyline
 * crypto:
 *   grpc_port: 50051
 * </pre>
 *
 * The map records which names the services asked for, so a YAML key that no service reads
 * (a typo) is reported instead of silently ignored. Services read it through {@link ConfigReader}.
 */
public final class Settings extends AbstractMap<String, String> {
    private static final String SUBJECT = "settings file";
    private static final Pattern KEY = Pattern.compile("[a-z0-9_]+");

    private final Map<String, String> values;
    private final Map<String, String> fromFile;
    private final Set<String> asked = ConcurrentHashMap.newKeySet();

    private Settings(Map<String, String> values, Map<String, String> fromFile) {
        this.values = values;
        this.fromFile = fromFile;
    }

    /** The environment alone. */
    public static Settings of(Map<String, String> env) {
        return new Settings(Map.copyOf(env), Map.of());
    }

    /** {@code file}'s settings, each overridden by an environment variable of the same name. */
    public static Settings of(Map<String, String> env, Path file) {
        Map<String, String> fileValues = load(file);
        Map<String, String> merged = new LinkedHashMap<>(fileValues);
        merged.putAll(env);
        return new Settings(Map.copyOf(merged), fileValues);
    }

    /** These settings plus {@code defaults} for every name they do not set. */
    public Settings withDefaults(Map<String, String> defaults) {
        Map<String, String> merged = new LinkedHashMap<>(defaults);
        merged.putAll(values);
        Settings s = new Settings(Map.copyOf(merged), fromFile);
        s.asked.addAll(asked);
        return s;
    }

    /** Names asked for by a later copy count here too (see {@link #requireAllFileSettingsUsed}). */
    public void absorbAsked(Settings other) {
        asked.addAll(other.asked);
    }

    /** The settings of a YAML file, by environment-variable name; fails with one {@link ConfigException}. */
    public static Map<String, String> load(Path file) {
        Object doc;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (IOException e) {
            throw ConfigException.of(SUBJECT, "cannot read " + file + ": " + e.getMessage());
        } catch (YAMLException e) {
            throw ConfigException.of(SUBJECT, file + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Map<String, String> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        if (doc == null) {
            return out;
        }
        if (!(doc instanceof Map<?, ?> root)) {
            throw ConfigException.of(SUBJECT, file + " must hold a YAML mapping of settings");
        }
        flatten("", root, out, problems);
        ConfigException.throwIfAny(SUBJECT, problems.stream().map(p -> file + ": " + p).toList());
        return out;
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out, List<String> problems) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = String.valueOf(e.getKey());
            String path = prefix.isEmpty() ? key : prefix + "." + key;
            if (!KEY.matcher(key).matches()) {
                problems.add(path + ": keys are lower case letters, digits and _");
                continue;
            }
            Object v = e.getValue();
            if (v instanceof Map<?, ?> nested) {
                flatten(path, nested, out, problems);
            } else if (v instanceof List<?> list) {
                out.put(envName(path), String.join(",", list.stream().map(String::valueOf).toList()));
            } else if (v == null) {
                problems.add(path + ": has no value");
            } else {
                out.put(envName(path), String.valueOf(v));
            }
        }
    }

    /** {@code crypto.grpc_port} → {@code KEYLINE_CRYPTO_GRPC_PORT}. */
    public static String envName(String yamlPath) {
        return "KEYLINE_" + yamlPath.replace('.', '_').toUpperCase(Locale.ROOT);
    }

    /** {@code KEYLINE_CRYPTO_GRPC_PORT} → {@code crypto.grpc_port} is ambiguous, so errors name both forms. */
    private static String describe(String envName) {
        return envName.substring("KEYLINE_".length()).toLowerCase(Locale.ROOT) + " (" + envName + ")";
    }

    /** Fails naming every YAML setting that no service read. Call after every service built its config. */
    public void requireAllFileSettingsUsed(Path file) {
        Set<String> unused = new TreeSet<>(fromFile.keySet());
        unused.removeAll(asked);
        if (!unused.isEmpty()) {
            throw new ConfigException(SUBJECT, unused.stream().map(u -> describe(u) + ": in " + file
                    + " but no service reads it (see docs/configuration.md)").toList());
        }
    }

    @Override
    public String get(Object key) {
        if (key instanceof String s) {
            asked.add(s);
        }
        return values.get(key);
    }

    @Override
    public String getOrDefault(Object key, String defaultValue) {
        String v = get(key);
        return v == null ? defaultValue : v;
    }

    @Override
    public boolean containsKey(Object key) {
        if (key instanceof String s) {
            asked.add(s);
        }
        return values.containsKey(key);
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return values.entrySet();
    }
}
