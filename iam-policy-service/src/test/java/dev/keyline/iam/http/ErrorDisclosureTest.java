package dev.keyline.iam.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.keyline.iam.IamException;
import dev.keyline.iam.cache.RedisCacheStorage;
import dev.keyline.iam.server.IamServer;
import dev.keyline.iam.server.IamServerConfig;
import dev.keyline.iam.testing.Http;
import dev.keyline.iam.testing.IamFixture;
import dev.keyline.iam.testing.PolicyDirs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A 503 (or 500) body says that something failed and under which correlation id, never where:
 * the Redis host, port and key prefix or the crypto endpoint in the exception's message go to the
 * service log only, under that correlation id (IamHttpApi's one error mapping).
 */
class ErrorDisclosureTest {
    @TempDir
    Path dir;

    @Test
    void errorBody_realRedisOutage_answersAGenericMessageAndLogsTheDetailUnderTheCorrelationId() throws IOException {
        int closed = closedLoopbackPort();
        String prefix = "keyline-test:iam-error-disclosure:" + UUID.randomUUID() + ":";
        IamException outage = catchThrowableOfType(IamException.class,
                () -> RedisCacheStorage.connect("redis://127.0.0.1:" + closed, prefix, Duration.ofMillis(500)));
        assertThat(outage.reason()).isEqualTo(IamException.Reason.UNAVAILABLE);
        assertThat(outage.getMessage()).as("the call site keeps the detail").contains("127.0.0.1:" + closed).contains(prefix);
        String cid = "iam-error-disclosure-" + UUID.randomUUID();
        ListAppender<ILoggingEvent> log = capture();

        ObjectNode body;
        try {
            body = IamHttpApi.errorBody(outage, cid);
        } finally {
            release(log);
        }

        assertThat(IamHttpApi.status(outage.reason())).isEqualTo(503);
        assertThat(body.at("/error/code").asText()).isEqualTo("UNAVAILABLE");
        assertThat(body.at("/error/correlation_id").asText()).isEqualTo(cid);
        assertThat(body.at("/error/message").asText()).contains(cid);
        assertThat(body.toString()).doesNotContain(String.valueOf(closed)).doesNotContain("127.0.0.1").doesNotContain(prefix)
                .doesNotContainIgnoringCase("redis");
        assertThat(log.list).anySatisfy(e -> {
            assertThat(e.getFormattedMessage()).contains(cid).contains("127.0.0.1:" + closed).contains(prefix);
            assertThat(e.getKeyValuePairs()).anySatisfy(kv -> assertThat(kv.key + "=" + kv.value).isEqualTo("correlation_id=" + cid));
        });
    }

    @Test
    void errorBody_callerError_keepsItsMessageAndProblems() {
        IamException bad = new IamException(IamException.Reason.POLICY_INVALID, "the policy directory is invalid",
                java.util.List.of("a.cedar: not valid Cedar"), null);

        ObjectNode body = IamHttpApi.errorBody(bad, "cid-1");

        assertThat(body.at("/error/message").asText()).isEqualTo("the policy directory is invalid");
        assertThat(body.at("/error/problems/0").asText()).isEqualTo("a.cedar: not valid Cedar");
        assertThat(body.at("/error/correlation_id").asText()).isEqualTo("cid-1");
    }

    @Test
    void jwks_cryptoServiceDown_answers503NamingNoEndpointWithTheRequestsCorrelationId() throws IOException {
        String endpoint = "127.0.0.1:" + closedLoopbackPort();
        IamServerConfig config = IamFixture.defaults(dir, PolicyDirs.demo(dir), "unused").l2Backend(IamServerConfig.L2Backend.MEMORY)
                .cryptoEndpoint(endpoint).cryptoToken("kl_iam-error-disclosure").cryptoTimeout(Duration.ofMillis(500)).build();
        try (IamServer iam = IamServer.start(config)) {
            ListAppender<ILoggingEvent> log = capture();
            Http.Response r;
            try {
                r = new Http(iam.baseUrl()).get("/v1/decisions/jwks");
            } finally {
                release(log);
            }

            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body().at("/error/code").asText()).isEqualTo("UNAVAILABLE");
            String cid = r.header("x-correlation-id");
            assertThat(r.body().at("/error/correlation_id").asText()).isNotBlank().isEqualTo(cid);
            assertThat(r.raw()).doesNotContain(endpoint).doesNotContain("127.0.0.1");
            // The exception's own message (the crypto client's detail) is logged under the request's id, and only logged:
            // one WARN line without a stack trace (anyone can cause one per request during an outage).
            String marker = "cannot list the decision-signing keys now (CRYPTO_SERVICE_UNAVAILABLE): ";
            assertThat(log.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN && e.getFormattedMessage().contains(cid))
                    .singleElement().satisfies(e -> {
                        assertThat(e.getThrowableProxy()).as("no stack trace at WARN").isNull();
                        String line = e.getFormattedMessage();
                        assertThat(line).contains(marker);
                        String detail = line.substring(line.indexOf(marker) + marker.length());
                        assertThat(detail).isNotBlank();
                        assertThat(r.raw()).doesNotContain(detail);
                    });
        }
    }

    private static int closedLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(IamHttpApi.class)).addAppender(appender);
        return appender;
    }

    private static void release(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(IamHttpApi.class)).detachAppender(appender);
        appender.stop();
    }
}
