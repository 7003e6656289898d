package dev.keyline.platform.run;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.service.server.CryptoServer;
import dev.keyline.crypto.service.server.CryptoServiceConfig;
import dev.keyline.kit.Tracing;
import java.util.Map;

/** The one tracing setting the services share: {@code KEYLINE_OTLP_ENDPOINT}, empty (off) by default. */
final class ServiceTracing {
    static final String SETTING = "KEYLINE_OTLP_ENDPOINT";

    private ServiceTracing() {
    }

    /** Starts the crypto service with {@code tracing}, which is closed again when the start fails. */
    static CryptoServer startCrypto(CryptoServiceConfig config, Tracing tracing) {
        try {
            return CryptoServer.start(config, tracing);
        } catch (RuntimeException e) {
            tracing.close();
            throw e;
        }
    }

    /** Tracing for {@code serviceName} (its OTLP {@code service.name}); a malformed endpoint is INVALID_CONFIG. */
    static Tracing of(Map<String, String> settings, String serviceName) {
        try {
            return Tracing.fromSetting(SETTING, settings.get(SETTING), serviceName);
        } catch (IllegalArgumentException e) {
            throw new CryptoException(CryptoException.Reason.INVALID_CONFIG, "invalid configuration: " + e.getMessage());
        }
    }
}
