package dev.keyline.platform.cli;

/**
 * A failure the user should read as one line: {@code error: <message>}. {@link #exitCode()} is
 * {@link dev.keyline.platform.Keyline#FAILED} or {@link dev.keyline.platform.Keyline#USAGE}.
 */
final class CliFailure extends RuntimeException {
    private final int exitCode;

    CliFailure(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    static CliFailure usage(String message) {
        return new CliFailure(dev.keyline.platform.Keyline.USAGE, message);
    }

    static CliFailure failed(String message) {
        return new CliFailure(dev.keyline.platform.Keyline.FAILED, message);
    }

    int exitCode() {
        return exitCode;
    }
}
