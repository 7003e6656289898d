package dev.keyline.platform.cli;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.v1.SignRequest;
import dev.keyline.crypto.v1.SignResponse;
import dev.keyline.platform.Keyline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keyline sign NS/ID}: a signature (ECDSA in DER, as openssl expects) or HMAC tag with the
 * key's primary version, printed in base64 with the concrete key id.
 */
@Command(name = "sign", mixinStandardHelpOptions = true, description = "Sign data with a key's primary version.")
public final class SignCommand extends RemoteCommand {
    @Parameters(paramLabel = "NS/ID", description = "The signing (or HMAC) key.")
    String key;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Data data;

    /** The signed bytes: text on the command line or a file. */
    static final class Data {
        @Option(names = "--data", paramLabel = "TEXT", required = true, description = "The data, as UTF-8 text.")
        String text;

        @Option(names = "--in", paramLabel = "FILE", required = true, description = "The bytes of FILE (- for stdin).")
        String file;

        byte[] bytes(java.io.InputStream stdin) throws IOException {
            return text != null ? Inputs.utf8(text) : Inputs.read(file, stdin);
        }
    }

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the raw signature bytes (DER for ECDSA) to FILE.")
    Path outFile;

    @Override
    int run(Printer out, CryptoSession service) throws IOException {
        KeyId id = Inputs.keyId(key);
        SignRequest req = SignRequest.newBuilder().setKeyId(KeyViews.proto(id)).setData(ByteString.copyFrom(data.bytes(keyline().stdin())))
                .build();
        SignResponse r = service.call(s -> s.sign(req));
        String keyId = KeyViews.text(r.getKeyId());
        String signature = Inputs.base64(r.getSignature().toByteArray());
        if (outFile != null) {
            Files.write(outFile, r.getSignature().toByteArray());
        }
        if (out.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key_id", keyId);
            m.put("algorithm", r.getAlgorithm().name());
            m.put("signature", signature);
            out.json(m);
        } else {
            out.line("key_id=" + keyId + " signature=" + signature);
        }
        return Keyline.OK;
    }
}
