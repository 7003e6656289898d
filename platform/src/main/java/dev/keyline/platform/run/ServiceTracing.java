package dev.keyline.platform.run;

import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.kit.Tracing;
import java.util.Map;
import java.util.function.Function;

/**
 * The one tracing setting the services share: {@code KEYLINE_OTLP_ENDPOINT}, empty (off) by
 * default. Each service gets its own {@link Tracing} (its own {@code service.name}), which the run
 * command closes after the service, so the last spans are sent.
 */
final class ServiceTracing {
    static final String SETTING = "KEYLINE_OTLP_ENDPOINT";
    static final String CRYPTO = "keyline-crypto-service";
    static final String TOKEN = "keyline-token-service";
    static final String IAM = "keyline-iam-policy-service";

    private ServiceTracing() {
    }

    /** Tracing for {@code serviceName} (its OTLP {@code service.name}); a malformed endpoint is a ConfigException. */
    static Tracing of(Map<String, String> settings, String serviceName) {
        return Tracing.fromSetting(SETTING, settings.get(SETTING), serviceName);
    }

    /** Starts a service with {@code tracing}; when the start fails, {@code tracing} is closed again. */
    static <S> S start(Tracing tracing, Function<Tracing, S> start) {
        try {
            return start.apply(tracing);
        } catch (RuntimeException e) {
            tracing.close();
            throw e;
        }
    }

    /** Starts the crypto service with {@code tracing}, which is closed again when the start fails. */
    static CryptoServer startCrypto(CryptoServiceConfig config, Tracing tracing) {
        return start(tracing, t -> CryptoServer.start(config, t));
    }

    /** Closes the service ({@code closeService}), then {@code tracing} (which sends the spans still buffered). */
    static void close(Runnable closeService, Tracing tracing) {
        try {
            closeService.run();
        } finally {
            tracing.close();
        }
    }
}
