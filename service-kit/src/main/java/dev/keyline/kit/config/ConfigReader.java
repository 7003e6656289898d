package dev.keyline.kit.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads the {@code KEYLINE_*} settings of one service, typed, and collects every value that does
 * not parse instead of failing at the first: the one parser of the three services. A setting that
 * is absent or blank is unset and takes the default the caller passes. Every problem names its
 * variable ({@code "KEYLINE_TOKEN_HTTP_PORT: 'x' is not an integer"}); {@link #throwIfInvalid}
 * turns them into one {@link ConfigException}.
 *
 * <p>Booleans are {@code true/false}, {@code 1/0}, {@code yes/no} or {@code on/off} (any case);
 * durations are ISO-8601 ({@code PT30S}); enums are their constant names in any case; lists are
 * comma-separated. Values read with {@link #secret} or {@link #base64Secret} are never echoed in a
 * problem.
 */
public final class ConfigReader {
    /** The setting every service and command shares: where keys, tokens and logs live. */
    public static final String DATA_DIR = "KEYLINE_DATA_DIR";
    /** {@link #DATA_DIR} when unset or blank, relative to the working directory. */
    public static final Path DEFAULT_DATA_DIR = Path.of("keyline-data");

    private final Function<String, String> lookup;
    private final List<String> problems = new ArrayList<>();

    /** @param lookup a variable's value, or null when it is not set */
    public ConfigReader(Function<String, String> lookup) {
        this.lookup = Objects.requireNonNull(lookup, "lookup");
    }

    /** Reads {@code settings} (the environment, or {@link Settings} over a YAML file). */
    public static ConfigReader of(Map<String, String> settings) {
        return new ConfigReader(settings::get);
    }

    /** The trimmed value of {@code name}; empty when absent or blank. */
    public Optional<String> string(String name) {
        String v = lookup.apply(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    public String string(String name, String fallback) {
        return string(name).orElse(fallback);
    }

    /** Like {@link #string(String)}, for a value that must never appear in a problem or a log line. */
    public Optional<String> secret(String name) {
        return string(name);
    }

    public Optional<Integer> integer(String name) {
        return longValue(name, Integer.MIN_VALUE, Integer.MAX_VALUE).map(Long::intValue);
    }

    public int integer(String name, int fallback) {
        return integer(name).orElse(fallback);
    }

    /** An integer in {@code [min, max]}; outside it is a problem and {@code fallback} is returned. */
    public int integer(String name, int fallback, int min, int max) {
        return longValue(name, min, max).map(Long::intValue).orElse(fallback);
    }

    public long longValue(String name, long fallback) {
        return longValue(name, Long.MIN_VALUE, Long.MAX_VALUE).orElse(fallback);
    }

    /** A long in {@code [min, max]}; outside it is a problem and {@code fallback} is returned. */
    public long longValue(String name, long fallback, long min, long max) {
        return longValue(name, min, max).orElse(fallback);
    }

    private Optional<Long> longValue(String name, long min, long max) {
        Optional<String> v = string(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            long n = Long.parseLong(v.get());
            if (n < min || n > max) {
                problem(name, "must be between " + min + " and " + max + ", got " + n);
                return Optional.empty();
            }
            return Optional.of(n);
        } catch (NumberFormatException e) {
            problem(name, "'" + v.get() + "' is not an integer");
            return Optional.empty();
        }
    }

    /** A TCP port, 0 (any free port) to 65535. */
    public int port(String name, int fallback) {
        return integer(name, fallback, 0, 65535);
    }

    public Optional<Double> decimal(String name) {
        Optional<String> v = string(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Double.parseDouble(v.get()));
        } catch (NumberFormatException e) {
            problem(name, "'" + v.get() + "' is not a number");
            return Optional.empty();
        }
    }

    public Optional<Boolean> bool(String name) {
        Optional<String> v = string(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        return switch (v.get().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> Optional.of(true);
            case "false", "0", "no", "off" -> Optional.of(false);
            default -> {
                problem(name, "'" + v.get() + "' is not true or false");
                yield Optional.empty();
            }
        };
    }

    public boolean bool(String name, boolean fallback) {
        return bool(name).orElse(fallback);
    }

    /** An ISO-8601 duration; a negative one is a problem. */
    public Optional<Duration> duration(String name) {
        Optional<String> v = string(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            Duration d = Duration.parse(v.get());
            if (d.isNegative()) {
                problem(name, "must not be negative, got " + v.get());
                return Optional.empty();
            }
            return Optional.of(d);
        } catch (DateTimeParseException e) {
            problem(name, "'" + v.get() + "' is not an ISO-8601 duration such as PT30S");
            return Optional.empty();
        }
    }

    public Duration duration(String name, Duration fallback) {
        return duration(name).orElse(fallback);
    }

    /** One of {@code type}'s constants, named in any case. */
    public <E extends Enum<E>> Optional<E> enumValue(String name, Class<E> type) {
        Optional<String> v = string(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v.get())) {
                return Optional.of(e);
            }
        }
        problem(name, "'" + v.get() + "' must be one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
        return Optional.empty();
    }

    public <E extends Enum<E>> E enumValue(String name, Class<E> type, E fallback) {
        return enumValue(name, type).orElse(fallback);
    }

    public Optional<Path> path(String name) {
        return string(name).map(Path::of);
    }

    /** The data directory ({@link #DATA_DIR}), {@link #DEFAULT_DATA_DIR} when unset or blank. */
    public Path dataDir() {
        return path(DATA_DIR).orElse(DEFAULT_DATA_DIR);
    }

    /** Comma-separated values, each trimmed, empty ones dropped. */
    public List<String> list(String name, List<String> fallback) {
        return string(name).map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
                .orElse(fallback);
    }

    /** Standard base64 of a secret; a value that does not decode is a problem that never shows it. */
    public Optional<byte[]> base64Secret(String name) {
        Optional<String> v = string(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Base64.getDecoder().decode(v.get()));
        } catch (IllegalArgumentException e) {
            problem(name, "is not base64");
            return Optional.empty();
        }
    }

    /** Records that {@code name} is wrong: {@code "name: what"}. */
    public void problem(String name, String what) {
        problems.add(name + ": " + what);
    }

    /** Records a problem already naming its setting(s). */
    public void problem(String text) {
        problems.add(text);
    }

    /** Every problem so far, in the order found. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Throws one {@link ConfigException} of {@code subject} listing every problem, if there is any. */
    public void throwIfInvalid(String subject) {
        ConfigException.throwIfAny(subject, problems);
    }
}
