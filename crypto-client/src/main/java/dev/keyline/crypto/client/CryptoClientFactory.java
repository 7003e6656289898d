package dev.keyline.crypto.client;

import dev.keyline.crypto.core.provider.CryptoProviders;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Builds {@link CryptoClient}s. The usual form is {@code CryptoClientFactory.create(config)}: a
 * channel to the configured endpoints, metrics in Micrometer's global registry, the system
 * clock. {@link #builder(CryptoClientConfig)} lets a service pass its own meter registry, and
 * tests a clock or an already-open channel (an in-process one, for example).
 */
public final class CryptoClientFactory {
    private CryptoClientFactory() {
    }

    /** A client for {@code config}, with metrics in {@link Metrics#globalRegistry}. */
    public static CryptoClient create(CryptoClientConfig config) {
        return builder(config).build();
    }

    public static Builder builder(CryptoClientConfig config) {
        return new Builder(config);
    }

    /** Optional collaborators of a client. */
    public static final class Builder {
        private final CryptoClientConfig config;
        private MeterRegistry meterRegistry = Metrics.globalRegistry;
        private InstantSource clock = InstantSource.system();
        private ManagedChannel channel;
        private SecureRandom random;

        private Builder(CryptoClientConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        public Builder meterRegistry(MeterRegistry v) {
            meterRegistry = Objects.requireNonNull(v, "meterRegistry");
            return this;
        }

        /** The clock of the metadata TTL and of the circuit breaker's open-state wait. */
        public Builder clock(InstantSource v) {
            clock = Objects.requireNonNull(v, "clock");
            return this;
        }

        /**
         * Uses {@code v} instead of opening a channel to the configured endpoints (which are then
         * ignored); the client owns it and shuts it down on close.
         */
        public Builder channel(ManagedChannel v) {
            channel = Objects.requireNonNull(v, "channel");
            return this;
        }

        public Builder random(SecureRandom v) {
            random = Objects.requireNonNull(v, "random");
            return this;
        }

        public CryptoClient build() {
            ManagedChannel ch = channel != null ? channel : Channels.open(config);
            return new GrpcCryptoClient(config, ch, clock, new ClientMetrics(meterRegistry, config.clientName()),
                    random != null ? random : CryptoProviders.defaults().secureRandom());
        }
    }
}
