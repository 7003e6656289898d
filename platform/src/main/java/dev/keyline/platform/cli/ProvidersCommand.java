package dev.keyline.platform.cli;

import dev.keyline.crypto.core.provider.CryptoProviders;
import dev.keyline.platform.Keyline;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code keyline providers}: which JCA provider this JVM uses for each algorithm. */
@Command(name = "providers", mixinStandardHelpOptions = true,
        description = "Show which JCA provider serves each algorithm here (set KEYLINE_CRYPTO_PROVIDER=jdk to use only the JDK's).")
public final class ProvidersCommand extends AdminCommand {
    static final String NATIVE = "native provider";
    static final String RANDOM = "random";

    @Override
    int run(Printer out) {
        Map<String, String> report = CryptoProviders.defaults().report();
        Map<String, String> algorithms = new LinkedHashMap<>(report);
        String nativeStatus = algorithms.remove(NATIVE);
        String random = algorithms.remove(RANDOM);
        if (out.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("algorithms", algorithms);
            m.put("native_provider", nativeStatus);
            m.put("random", random);
            out.json(m);
        } else {
            List<List<String>> rows = new ArrayList<>();
            algorithms.forEach((alg, provider) -> rows.add(List.of(alg, provider)));
            out.table(List.of("ALGORITHM", "PROVIDER"), rows);
            out.line("");
            out.line("random numbers (IVs, nonces, keys): " + random);
            out.line("native provider (Amazon Corretto Crypto Provider): " + nativeStatus);
        }
        return Keyline.OK;
    }
}
