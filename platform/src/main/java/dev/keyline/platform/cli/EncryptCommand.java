package dev.keyline.platform.cli;

import com.google.protobuf.ByteString;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.v1.EncryptRequest;
import dev.keyline.crypto.v1.EncryptResponse;
import dev.keyline.platform.Keyline;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keyline encrypt NS/ID}: AES-256-GCM under the key's primary version. Prints one line:
 * the concrete key id and base64 ciphertext, iv and tag; {@code --json} prints the line that
 * {@code keyline decrypt --from-json} reads back.
 */
@Command(name = "encrypt", mixinStandardHelpOptions = true, description = "Encrypt with a key's primary version.")
public final class EncryptCommand extends RemoteCommand {
    @Parameters(paramLabel = "NS/ID", description = "The key (an AES_256_GCM key).")
    String key;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Plaintext plaintext;

    static final class Plaintext {
        @Option(names = "--plaintext", paramLabel = "TEXT", required = true, description = "Encrypt this text (UTF-8).")
        String text;

        @Option(names = "--in", paramLabel = "FILE", required = true, description = "Encrypt the bytes of FILE (- for stdin).")
        String file;
    }

    @Option(names = "--aad", paramLabel = "TEXT", description = "Additional authenticated data (UTF-8); decrypt needs the same.")
    String aad;

    @Override
    int run(Printer out, CryptoSession service) throws IOException {
        KeyId id = Inputs.keyId(key);
        byte[] data = plaintext.text != null ? Inputs.utf8(plaintext.text) : Inputs.read(plaintext.file, keyline().stdin());
        EncryptRequest req = EncryptRequest.newBuilder().setKeyId(KeyViews.proto(id)).setPlaintext(ByteString.copyFrom(data))
                .setAad(aad == null ? ByteString.EMPTY : ByteString.copyFrom(Inputs.utf8(aad))).build();
        EncryptResponse r = service.call(s -> s.encrypt(req));
        String keyId = KeyViews.text(r.getKeyId());
        String ct = Inputs.base64(r.getCiphertext().toByteArray());
        String iv = Inputs.base64(r.getIv().toByteArray());
        String tag = Inputs.base64(r.getTag().toByteArray());
        if (out.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key_id", keyId);
            m.put("algorithm", r.getAlgorithm().name());
            m.put("ciphertext", ct);
            m.put("iv", iv);
            m.put("tag", tag);
            out.json(m);
        } else {
            out.line("key_id=" + keyId + " ciphertext=" + ct + " iv=" + iv + " tag=" + tag);
        }
        return Keyline.OK;
    }
}
