package dev.keyline.platform.cli;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.v1.VerifyRequest;
import dev.keyline.platform.Keyline;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyline verify NS/ID/V}: prints valid or invalid; exit 0 only when valid. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check a signature with the key version that made it. Exit 0 when valid, 1 when not.")
public final class VerifyCommand extends RemoteCommand {
    @Parameters(paramLabel = "NS/ID/V", description = "The key version sign printed.")
    String key;

    @ArgGroup(exclusive = true, multiplicity = "1")
    SignCommand.Data data;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Signature signature;

    static final class Signature {
        @Option(names = "--signature", paramLabel = "B64", required = true, description = "The signature (base64).")
        String base64;

        @Option(names = "--signature-file", paramLabel = "FILE", required = true, description = "The raw signature bytes (DER for ECDSA).")
        String file;
    }

    @Override
    int run(Printer out, CryptoSession service) throws IOException {
        KeyId id = Inputs.keyVersion(key, "verify needs the version sign printed (NS/ID/V)");
        byte[] sig = signature.base64 != null ? Inputs.base64("--signature", signature.base64) : Inputs.read(signature.file, keyline().stdin());
        VerifyRequest req = VerifyRequest.newBuilder().setKeyId(KeyViews.proto(id)).setData(ByteString.copyFrom(data.bytes(keyline().stdin())))
                .setSignature(ByteString.copyFrom(sig)).build();
        boolean valid = service.call(s -> s.verify(req)).getValid();
        if (out.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key_id", id.toString());
            m.put("valid", valid);
            out.json(m);
        } else {
            out.line(valid ? "valid" : "invalid");
        }
        return valid ? Keyline.OK : Keyline.FAILED;
    }
}
