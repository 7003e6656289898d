package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import io.grpc.ChannelCredentials;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Opens the channel to the crypto service: plaintext or TLS (mutual when a client certificate is
 * configured), with gRPC's {@code round_robin} load balancing over the fixed list of endpoints.
 * The list reaches the channel through a name resolver for the {@value #SCHEME} scheme, which
 * resolves each {@code host:port} again whenever gRPC asks (after a connection failure).
 */
final class Channels {
    static final String SCHEME = "keyline-static";
    private static final NameResolver.Args.Key<List<String>> ENDPOINTS = NameResolver.Args.Key.create("keyline-endpoints");

    static {
        NameResolverRegistry.getDefaultRegistry().register(new StaticProvider());
    }

    private Channels() {
    }

    static ManagedChannel open(CryptoClientConfig config) {
        ChannelCredentials credentials;
        try {
            credentials = credentials(config);
        } catch (IOException | RuntimeException e) {
            throw new CryptoException(Reason.INVALID_CONFIG, "cannot load the TLS files of the crypto client: " + e.getMessage());
        }
        ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(SCHEME + ":///crypto-service", credentials)
                .setNameResolverArg(ENDPOINTS, config.endpoints())
                .defaultLoadBalancingPolicy("round_robin")
                .maxInboundMessageSize(16 << 20)
                .userAgent("keyline-crypto-client");
        config.tlsServerName().ifPresent(b::overrideAuthority);
        return b.build();
    }

    private static ChannelCredentials credentials(CryptoClientConfig config) throws IOException {
        if (!config.tlsEnabled()) {
            return InsecureChannelCredentials.create();
        }
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
        if (config.tlsTrustCertificates().isPresent()) {
            b.trustManager(config.tlsTrustCertificates().get().toFile());
        }
        if (config.tlsClientCertificate().isPresent() && config.tlsClientKey().isPresent()) {
            b.keyManager(config.tlsClientCertificate().get().toFile(), config.tlsClientKey().get().toFile());
        }
        return b.build();
    }

    private static final class StaticProvider extends NameResolverProvider {
        @Override
        protected boolean isAvailable() {
            return true;
        }

        @Override
        protected int priority() {
            return 5;
        }

        @Override
        public String getDefaultScheme() {
            return SCHEME;
        }

        @Override
        public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
            return List.of(InetSocketAddress.class);
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!SCHEME.equals(target.getScheme())) {
                return null;
            }
            List<String> endpoints = args.getArg(ENDPOINTS);
            return endpoints == null || endpoints.isEmpty() ? null : new StaticResolver(endpoints);
        }
    }

    /** Resolves a fixed list of {@code host:port}; one address group per endpoint. */
    private static final class StaticResolver extends NameResolver {
        private final List<String> endpoints;
        private Listener2 listener;

        StaticResolver(List<String> endpoints) {
            this.endpoints = List.copyOf(endpoints);
        }

        @Override
        public String getServiceAuthority() {
            String first = endpoints.get(0);
            return first.substring(0, first.lastIndexOf(':')).replace("[", "").replace("]", "");
        }

        @Override
        public void start(Listener2 listener) {
            this.listener = listener;
            resolve();
        }

        @Override
        public void refresh() {
            resolve();
        }

        private void resolve() {
            List<EquivalentAddressGroup> groups = new ArrayList<>();
            for (String e : endpoints) {
                int colon = e.lastIndexOf(':');
                String host = e.substring(0, colon).replace("[", "").replace("]", "");
                InetSocketAddress a = new InetSocketAddress(host, Integer.parseInt(e.substring(colon + 1)));
                if (!a.isUnresolved()) {
                    groups.add(new EquivalentAddressGroup(a));
                }
            }
            if (groups.isEmpty()) {
                listener.onResult(ResolutionResult.newBuilder()
                        .setAddressesOrError(StatusOr.fromStatus(Status.UNAVAILABLE.withDescription("no crypto service endpoint resolves: " + endpoints)))
                        .build());
            } else {
                listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
            }
        }

        @Override
        public void shutdown() {
            listener = null;
        }
    }
}
