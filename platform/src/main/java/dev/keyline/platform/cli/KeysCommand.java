package dev.keyline.platform.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.keyline.crypto.core.keys.KeyAlgorithm;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.v1.GenerateKeyRequest;
import dev.keyline.crypto.v1.GetKeyMetadataRequest;
import dev.keyline.crypto.v1.GetPublicKeyRequest;
import dev.keyline.crypto.v1.KeyMetadata;
import dev.keyline.crypto.v1.KeyState;
import dev.keyline.crypto.v1.KeyVersionInfo;
import dev.keyline.crypto.v1.ListKeysRequest;
import dev.keyline.crypto.v1.ListKeysResponse;
import dev.keyline.crypto.v1.PublicKey;
import dev.keyline.crypto.v1.RotateKeyRequest;
import dev.keyline.crypto.v1.SetKeyStateRequest;
import dev.keyline.crypto.v1.SetMinDecryptionVersionRequest;
import dev.keyline.platform.Keyline;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyline keys ...}: create keys and manage their versions and lifecycle. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create keys, rotate them and change their state.",
        subcommands = {
            KeysCommand.Create.class,
            KeysCommand.ListKeys.class,
            KeysCommand.Show.class,
            KeysCommand.Rotate.class,
            KeysCommand.Disable.class,
            KeysCommand.Enable.class,
            KeysCommand.ScheduleDeletion.class,
            KeysCommand.CancelDeletion.class,
            KeysCommand.MinDecryptionVersion.class,
            KeysCommand.PublicKeyCommand.class
        })
public final class KeysCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Keyline.USAGE;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key with its first version.")
    static final class Create extends RemoteCommand {
        @Parameters(paramLabel = "NS/ID", description = "Namespace and id of the new key, e.g. demo/hello.")
        String key;

        @Option(names = "--algorithm", required = true, paramLabel = "ALG",
                description = "AES_256_GCM, ECDSA_P256_SHA256, ECDSA_P384_SHA384, ED25519, RSA_PSS_2048_SHA256,"
                        + " RSA_PKCS1_2048_SHA256 or HMAC_SHA256 (JWS names such as ES256 work too).")
        String algorithm;

        @Option(names = "--rotation-period", paramLabel = "PERIOD", description = "Rotate automatically this often (ISO-8601, e.g. P30D).")
        String rotationPeriod;

        @Override
        int run(Printer out, CryptoSession service) {
            KeyId name = Inputs.keyName(key);
            GenerateKeyRequest.Builder req = GenerateKeyRequest.newBuilder().setNamespace(name.namespace()).setId(name.id())
                    .setAlgorithm(algorithm(algorithm));
            if (rotationPeriod != null) {
                java.time.Duration p = Inputs.duration("--rotation-period", rotationPeriod);
                req.setRotationPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(p.getSeconds()).setNanos(p.getNano()));
            }
            KeyMetadata m = service.call(s -> s.generateKey(req.build()));
            if (out.json()) {
                out.json(KeyViews.json(m));
            } else {
                out.line("created " + KeyViews.ring(m.getKeyId()) + "/" + m.getPrimaryVersion() + " (" + m.getAlgorithm().name() + ", "
                        + m.getState().name() + ")");
            }
            return Keyline.OK;
        }

        static dev.keyline.crypto.v1.KeyAlgorithm algorithm(String text) {
            String t = text.trim();
            for (KeyAlgorithm a : KeyAlgorithm.values()) {
                if (a.name().equalsIgnoreCase(t.replace('-', '_'))) {
                    return dev.keyline.crypto.v1.KeyAlgorithm.valueOf(a.name());
                }
            }
            return KeyAlgorithm.fromJws(t.toUpperCase(Locale.ROOT).equals("EDDSA") ? "EdDSA" : t.toUpperCase(Locale.ROOT))
                    .map(a -> dev.keyline.crypto.v1.KeyAlgorithm.valueOf(a.name()))
                    .orElseThrow(() -> CliFailure.usage("unknown algorithm '" + text + "'; expected one of "
                            + Arrays.stream(KeyAlgorithm.values()).map(Enum::name).collect(Collectors.joining(", "))));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys, of one namespace or of all you may read.")
    static final class ListKeys extends RemoteCommand {
        @Parameters(paramLabel = "NS", arity = "0..1", description = "Only keys of this namespace.")
        String namespace;

        @Override
        int run(Printer out, CryptoSession service) {
            ListKeysResponse r = service.call(s -> s.listKeys(ListKeysRequest.newBuilder().setNamespace(namespace == null ? "" : namespace).build()));
            if (out.json()) {
                out.json(Map.of("keys", r.getKeysList().stream().map(KeyViews::json).toList()));
            } else if (r.getKeysCount() == 0) {
                out.line(namespace == null ? "no keys" : "no keys in namespace " + namespace);
            } else {
                out.table(KeyViews.HEADERS, r.getKeysList().stream().map(KeyViews::row).toList());
            }
            return Keyline.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a key's metadata and versions.")
    static final class Show extends RemoteCommand {
        @Parameters(paramLabel = "NS/ID", description = "The key.")
        String key;

        @Override
        int run(Printer out, CryptoSession service) {
            KeyId id = Inputs.keyId(key).unversioned();
            KeyMetadata m = service.call(s -> s.getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(KeyViews.proto(id)).build()));
            if (out.json()) {
                out.json(KeyViews.json(m));
            } else {
                KeyViews.show(out, m);
            }
            return Keyline.OK;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true, description = "Add a new primary version; older versions still decrypt and verify.")
    static final class Rotate extends RemoteCommand {
        @Parameters(paramLabel = "NS/ID", description = "The key.")
        String key;

        @Override
        int run(Printer out, CryptoSession service) {
            KeyId id = Inputs.keyName(key);
            KeyMetadata m = service.call(s -> s.rotateKey(RotateKeyRequest.newBuilder().setKeyId(KeyViews.proto(id)).build()));
            if (out.json()) {
                out.json(KeyViews.json(m));
            } else {
                out.line("rotated " + KeyViews.ring(m.getKeyId()) + ": the primary is now version " + m.getPrimaryVersion());
            }
            return Keyline.OK;
        }
    }

    /** Shared by the commands that move a key, or one version of it, to another state. */
    abstract static class StateChange extends RemoteCommand {
        @Parameters(paramLabel = "NS/ID[/V]", description = "The key, or one version of it.")
        String key;

        abstract KeyState target();

        abstract String verb();

        /** Checks the current state before the change; nothing by default. */
        void precondition(KeyId id, CryptoSession service) {
        }

        @Override
        final int run(Printer out, CryptoSession service) {
            KeyId id = Inputs.keyId(key);
            precondition(id, service);
            KeyMetadata m = service.call(s -> s.setKeyState(SetKeyStateRequest.newBuilder().setKeyId(KeyViews.proto(id)).setState(target()).build()));
            if (out.json()) {
                out.json(KeyViews.json(m));
            } else {
                out.line(verb() + " " + KeyViews.text(id) + describe(id, m));
            }
            return Keyline.OK;
        }

        String describe(KeyId id, KeyMetadata m) {
            return "";
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Stop a key (or one version) from being used until it is enabled again.")
    static final class Disable extends StateChange {
        @Override
        KeyState target() {
            return KeyState.DISABLED;
        }

        @Override
        String verb() {
            return "disabled";
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Make a disabled key (or version) usable again.")
    static final class Enable extends StateChange {
        @Override
        KeyState target() {
            return KeyState.ENABLED;
        }

        @Override
        String verb() {
            return "enabled";
        }
    }

    @Command(name = "schedule-deletion", mixinStandardHelpOptions = true,
            description = "Make a key (or version) unusable and destroy its material after the pending-deletion delay.")
    static final class ScheduleDeletion extends StateChange {
        @Override
        KeyState target() {
            return KeyState.PENDING_DELETION;
        }

        @Override
        String verb() {
            return "scheduled the deletion of";
        }

        @Override
        String describe(KeyId id, KeyMetadata m) {
            String when = deletionAt(id, m);
            return when.isEmpty() ? "" : ": its material will be destroyed at " + when
                    + " (until then: keyline keys cancel-deletion " + KeyViews.text(id) + ")";
        }

        private static String deletionAt(KeyId id, KeyMetadata m) {
            if (id.version() == 0) {
                return m.hasDeletionAt() ? KeyViews.time(m.getDeletionAt()) : "";
            }
            return m.getVersionsList().stream().filter(v -> v.getVersion() == id.version() && v.hasDeletionAt())
                    .map(v -> KeyViews.time(v.getDeletionAt())).findFirst().orElse("");
        }
    }

    @Command(name = "cancel-deletion", mixinStandardHelpOptions = true,
            description = "Cancel a scheduled deletion; the key (or version) becomes DISABLED.")
    static final class CancelDeletion extends StateChange {
        @Override
        KeyState target() {
            return KeyState.DISABLED;
        }

        @Override
        String verb() {
            return "cancelled the deletion of";
        }

        @Override
        String describe(KeyId id, KeyMetadata m) {
            return "; it is DISABLED now (keyline keys enable " + KeyViews.text(id) + " to use it again)";
        }

        /** Without this check, cancel-deletion on an ENABLED key would quietly disable it. */
        @Override
        void precondition(KeyId id, CryptoSession service) {
            KeyMetadata m = service.call(s -> s.getKeyMetadata(GetKeyMetadataRequest.newBuilder().setKeyId(KeyViews.proto(id.unversioned())).build()));
            KeyState current;
            if (id.version() == 0) {
                current = m.getState();
            } else {
                current = m.getVersionsList().stream().filter(v -> v.getVersion() == id.version()).map(KeyVersionInfo::getState)
                        .findFirst().orElseThrow(() -> CliFailure.failed("KEY_NOT_FOUND: key " + KeyViews.ring(m.getKeyId())
                                + " has no version " + id.version()));
            }
            if (current != KeyState.PENDING_DELETION) {
                throw CliFailure.failed("KEY_STATE_INVALID: " + KeyViews.text(id) + " is " + current.name()
                        + ", not PENDING_DELETION; there is no deletion to cancel");
            }
        }
    }

    @Command(name = "min-decryption-version", mixinStandardHelpOptions = true,
            description = "Raise the oldest version that may still decrypt, verify and sign; older versions are retired for good"
                    + " (it is never lowered, and at most the primary version).")
    static final class MinDecryptionVersion extends RemoteCommand {
        @Parameters(index = "0", paramLabel = "NS/ID", description = "The key.")
        String key;

        @Parameters(index = "1", paramLabel = "N", description = "The new minimum version (1 .. the primary version).")
        int min;

        @Override
        int run(Printer out, CryptoSession service) {
            KeyId id = Inputs.keyName(key);
            if (min < 1) {
                throw CliFailure.usage("N must be a version number of at least 1, got " + min);
            }
            KeyMetadata m = service.call(s -> s.setMinDecryptionVersion(SetMinDecryptionVersionRequest.newBuilder()
                    .setKeyId(KeyViews.proto(id)).setMinDecryptionVersion(min).build()));
            if (out.json()) {
                out.json(KeyViews.json(m));
            } else {
                out.line("versions of " + KeyViews.ring(m.getKeyId()) + " below " + m.getMinDecryptionVersion()
                        + " can no longer decrypt, verify or sign");
            }
            return Keyline.OK;
        }
    }

    @Command(name = "public-key", mixinStandardHelpOptions = true,
            description = "Print the public key of a signing key: PEM (SubjectPublicKeyInfo), or a JWK with --jwk.")
    static final class PublicKeyCommand extends RemoteCommand {
        @Parameters(paramLabel = "NS/ID[/V]", description = "The key (its primary version) or one version.")
        String key;

        @Option(names = "--jwk", description = "Print the JSON Web Key instead of PEM.")
        boolean jwk;

        @Override
        int run(Printer out, CryptoSession service) {
            KeyId id = Inputs.keyId(key);
            PublicKey pk = service.call(s -> s.getPublicKey(GetPublicKeyRequest.newBuilder().setKeyId(KeyViews.proto(id)).build()));
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("key_id", KeyViews.text(pk.getKeyId()));
                m.put("algorithm", pk.getAlgorithm().name());
                m.put("pem", pk.getPem());
                try {
                    m.put("jwk", Printer.JSON.readTree(pk.getJwkJson()));
                } catch (JsonProcessingException e) {
                    m.put("jwk", pk.getJwkJson());
                }
                out.json(m);
            } else if (jwk) {
                out.line(pk.getJwkJson().strip());
            } else {
                out.line(pk.getPem().strip());
            }
            return Keyline.OK;
        }
    }
}
