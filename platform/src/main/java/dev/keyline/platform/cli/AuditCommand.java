package dev.keyline.platform.cli;

import dev.keyline.crypto.service.audit.AuditVerifier;
import dev.keyline.crypto.service.store.MasterKey;
import dev.keyline.platform.Keyline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyline audit verify}: checks the audit log's hash chain. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Check the audit log.",
        subcommands = {AuditCommand.Verify.class})
public final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Keyline.USAGE;
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check that every line carries the SHA-256 of the line before it, and that the log still holds the "
                    + "lines its checkpoint attests (authenticated with the master key when it is here). Exit 1 at the first problem.")
    static final class Verify extends AdminCommand {
        @Parameters(paramLabel = "FILE", arity = "0..1",
                description = "The log (default $KEYLINE_CRYPTO_AUDIT_LOG, else $KEYLINE_DATA_DIR/audit.log).")
        Path file;

        @Mixin
        DataDirOption dataDir;

        @Override
        int run(Printer out) throws IOException {
            Path log = file != null ? file : defaultLog(dataDir.apply(env()));
            if (!Files.isRegularFile(log)) {
                throw CliFailure.usage("no audit log at " + log.toAbsolutePath() + " (pass the file, or --data-dir)");
            }
            // With the master key that wrote the log (KEYLINE_MASTER_KEY or the data directory's
            // master.key) the checkpoint must be there and authentic; without it, it is only compared.
            Map<String, String> env = env();
            var masterKey = MasterKey.loadExisting(env.get(MasterKey.ENV), ServiceConnection.dataDir(dataDir.apply(env)).resolve("master.key"),
                    new java.security.SecureRandom());
            AuditVerifier.Verification v = AuditVerifier.verify(log, masterKey.map(MasterKey::auditCheckpointMac).orElse(null));
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("file", log.toString());
                m.put("ok", v.ok());
                m.put("lines_checked", v.lines());
                m.put("first_bad_line", v.ok() ? null : v.firstBadLine());
                m.put("problem", v.ok() ? null : v.problem());
                m.put("checkpoint", v.checkpoint().name().toLowerCase(java.util.Locale.ROOT));
                m.put("continues", v.continues().isEmpty() ? null : v.continues());
                out.json(m);
            } else if (v.ok()) {
                out.line(log + ": " + v.lines() + " lines checked, the hash chain is intact; checkpoint " + switch (v.checkpoint()) {
                    case VERIFIED -> "verified: no line was removed before it";
                    case UNAUTHENTICATED -> "matches, but is not authenticated (no master key here: set KEYLINE_MASTER_KEY or --data-dir)";
                    case MISSING, FAILED, NOT_CHECKED -> "missing: removal of the last lines cannot be ruled out";
                } + continues(v));
            }
            if (!v.ok()) {
                long n = v.firstBadLine();
                // A line's prev covers the line before it, so an edit of line k shows at line k+1.
                String where = n > 1 ? "; line " + (n - 1) + " or " + n + " was changed, or lines were removed or inserted there" : "";
                out.error(v.checkpoint() == AuditVerifier.CheckpointStatus.FAILED ? log + ": " + v.problem()
                        : log + ": the hash chain is broken at line " + n + ": " + v.problem() + where);
                return Keyline.FAILED;
            }
            return Keyline.OK;
        }

        /**
         * A log the service opened after its previous file was renamed, deleted or truncated starts
         * with an AuditLogReopened line chained to that file's last line: say so, so the operator
         * checks the previous file too.
         */
        private static String continues(AuditVerifier.Verification v) {
            return v.continues().isEmpty() ? ""
                    : "; it continues a previous log file (renamed, deleted or truncated while the service ran) whose last line has SHA-256 "
                            + v.continues() + ": verify that file too";
        }

        private static Path defaultLog(Map<String, String> env) {
            String explicit = env.get("KEYLINE_CRYPTO_AUDIT_LOG");
            if (explicit != null && !explicit.isBlank()) {
                return Path.of(explicit.trim());
            }
            return ServiceConnection.dataDir(env).resolve("audit.log");
        }
    }
}
