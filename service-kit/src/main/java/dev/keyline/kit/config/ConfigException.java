package dev.keyline.kit.config;

import java.util.List;
import java.util.Objects;

/**
 * The one error of every service's configuration: settings that cannot be read, values that do
 * not parse or are out of range, combinations that are refused, an address that cannot be bound.
 * It lists every problem at once, each naming its setting ({@code "KEYLINE_X: what is wrong"});
 * {@code keyline} prints them one per line and exits with status 2. Messages never carry a
 * secret's value.
 */
public final class ConfigException extends RuntimeException {
    private final String subject;
    private final List<String> problems;

    /**
     * @param subject what is configured, for the message ({@code "token service"})
     * @param problems at least one, each naming its setting
     */
    public ConfigException(String subject, List<String> problems) {
        super(message(subject, problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.subject = Objects.requireNonNull(subject, "subject");
        this.problems = List.copyOf(problems);
    }

    /** One problem of {@code subject}. */
    public static ConfigException of(String subject, String problem) {
        return new ConfigException(subject, List.of(problem));
    }

    /** One problem of {@code subject}, found through {@code cause} (an address in use, an unreadable file). */
    public static ConfigException of(String subject, String problem, Throwable cause) {
        ConfigException e = of(subject, problem);
        e.initCause(cause);
        return e;
    }

    /** Throws a {@link ConfigException} listing {@code problems} unless there are none. */
    public static void throwIfAny(String subject, List<String> problems) {
        if (!problems.isEmpty()) {
            throw new ConfigException(subject, problems);
        }
    }

    /** What is configured ({@code "crypto service"}, {@code "settings file"}). */
    public String subject() {
        return subject;
    }

    /** Every problem, each {@code "SETTING: what is wrong"}. */
    public List<String> problems() {
        return problems;
    }

    private static String message(String subject, List<String> problems) {
        return "invalid " + subject + " configuration (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "): "
                + String.join("; ", problems);
    }
}
