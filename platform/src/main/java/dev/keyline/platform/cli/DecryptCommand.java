package dev.keyline.platform.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.keyline.crypto.core.keys.KeyId;
import dev.keyline.crypto.v1.DecryptRequest;
import dev.keyline.crypto.v1.DecryptResponse;
import dev.keyline.platform.Keyline;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keyline decrypt NS/ID/V}: the inverse of encrypt, from the three base64 parts or from
 * the JSON line {@code keyline encrypt --json} printed.
 */
@Command(name = "decrypt", mixinStandardHelpOptions = true,
        description = "Decrypt what encrypt produced, with the key version it names.")
public final class DecryptCommand extends RemoteCommand {
    @Parameters(paramLabel = "NS/ID/V", arity = "0..1",
            description = "The key version the ciphertext was made with (optional with --from-json, which names it).")
    String key;

    @Option(names = "--ciphertext", paramLabel = "B64", description = "Ciphertext (base64).")
    String ciphertext;

    @Option(names = "--iv", paramLabel = "B64", description = "IV (base64).")
    String iv;

    @Option(names = "--tag", paramLabel = "B64", description = "Authentication tag (base64).")
    String tag;

    @Option(names = "--from-json", paramLabel = "FILE", description = "Read key id, ciphertext, iv and tag from the line encrypt --json"
            + " printed (- for stdin).")
    String fromJson;

    @Option(names = "--aad", paramLabel = "TEXT", description = "The additional authenticated data given to encrypt (UTF-8).")
    String aad;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the plaintext bytes to FILE instead of stdout.")
    Path outFile;

    @Override
    int run(Printer out, CryptoSession service) throws IOException {
        KeyId id;
        byte[] ct;
        byte[] nonce;
        byte[] authTag;
        if (fromJson != null) {
            if (ciphertext != null || iv != null || tag != null) {
                throw CliFailure.usage("--from-json names ciphertext, iv and tag itself; do not also pass --ciphertext, --iv or --tag");
            }
            JsonNode line = encryptLine(Inputs.read(fromJson, keyline().stdin()));
            id = Inputs.keyVersion(field(line, "key_id"), "the JSON's key_id must name a version");
            if (key != null && !Inputs.keyId(key).equals(id)) {
                throw CliFailure.usage("the key " + key + " differs from the JSON's key_id " + id + "; leave the key out or make them agree");
            }
            ct = Inputs.base64("ciphertext", field(line, "ciphertext"));
            nonce = Inputs.base64("iv", field(line, "iv"));
            authTag = Inputs.base64("tag", field(line, "tag"));
        } else {
            if (key == null || ciphertext == null || iv == null || tag == null) {
                throw CliFailure.usage("decrypt needs NS/ID/V with --ciphertext, --iv and --tag, or --from-json FILE");
            }
            id = Inputs.keyVersion(key, "decrypt needs the version encrypt printed (NS/ID/V)");
            ct = Inputs.base64("--ciphertext", ciphertext);
            nonce = Inputs.base64("--iv", iv);
            authTag = Inputs.base64("--tag", tag);
        }
        DecryptRequest req = DecryptRequest.newBuilder().setKeyId(KeyViews.proto(id)).setCiphertext(ByteString.copyFrom(ct))
                .setIv(ByteString.copyFrom(nonce)).setTag(ByteString.copyFrom(authTag))
                .setAad(aad == null ? ByteString.EMPTY : ByteString.copyFrom(Inputs.utf8(aad))).build();
        DecryptResponse r = service.call(s -> s.decrypt(req));
        byte[] plaintext = r.getPlaintext().toByteArray();
        Optional<String> text = utf8(plaintext);
        if (outFile != null) {
            Files.write(outFile, plaintext);
            out.note("wrote " + plaintext.length + " bytes to " + outFile);
        } else if (out.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key_id", id.toString());
            m.put("plaintext", text.orElse(null));
            m.put("plaintext_base64", Inputs.base64(plaintext));
            out.json(m);
        } else if (text.isPresent()) {
            out.line(text.get());
        } else {
            out.line(Inputs.base64(plaintext));
            out.note("note: the plaintext is not UTF-8 text, so it was printed in base64; use --out FILE for the raw bytes");
        }
        return Keyline.OK;
    }

    private static JsonNode encryptLine(byte[] bytes) {
        try {
            JsonNode n = Printer.JSON.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw CliFailure.usage("--from-json: expected the JSON object keyline encrypt --json prints");
            }
            return n;
        } catch (IOException e) {
            String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw CliFailure.usage("--from-json: not JSON: " + why);
        }
    }

    private static String field(JsonNode line, String name) {
        JsonNode v = line.get(name);
        if (v == null || !v.isTextual()) {
            throw CliFailure.usage("--from-json: the JSON has no text field '" + name + "'; expected the line keyline encrypt --json prints");
        }
        return v.asText();
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
