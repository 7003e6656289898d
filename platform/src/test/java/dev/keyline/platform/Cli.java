package dev.keyline.platform;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;

/** Runs {@code keyline} in-process with captured stdout and stderr. */
public final class Cli {
    private Cli() {
    }

    /** What one command printed and returned. */
    public record Result(int exitCode, String out, String err) {
        /** stdout without the trailing newline. */
        public String outLine() {
            return out.strip();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Result run(Map<String, String> env, String... args) {
        return run(env, InputStream.nullInputStream(), args);
    }

    public static Result runWithStdin(Map<String, String> env, String stdin, String... args) {
        return run(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
    }

    public static Result run(Map<String, String> env, InputStream stdin, String... args) {
        return execute(Keyline.commandLine(new Keyline(env, stdin)), args);
    }

    /** Through a bare {@code new CommandLine(...)}, without the usage-error handler main() installs. */
    public static Result runBare(Map<String, String> env, String... args) {
        return execute(new CommandLine(new Keyline(env, InputStream.nullInputStream())), args);
    }

    private static Result execute(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
