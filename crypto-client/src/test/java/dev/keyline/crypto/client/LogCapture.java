package dev.keyline.crypto.client;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** Collects what one logger writes, through a Logback ListAppender, for the duration of a test. */
final class LogCapture implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private LogCapture(Class<?> source) {
        this.logger = (Logger) LoggerFactory.getLogger(source);
        appender.start();
        logger.addAppender(appender);
    }

    static LogCapture of(Class<?> source) {
        return new LogCapture(source);
    }

    List<ILoggingEvent> events() {
        return List.copyOf(appender.list);
    }

    void clear() {
        appender.list.clear();
    }

    /** The key-value fields of an event, in order. */
    static Map<String, Object> fields(ILoggingEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (e.getKeyValuePairs() != null) {
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                m.put(kv.key, kv.value);
            }
        }
        return m;
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
