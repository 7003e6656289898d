package dev.keyline.iam.testing;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Direct access to the test Redis on 127.0.0.1:6379, scoped to one unique key prefix. */
public final class Redis implements AutoCloseable {
    public static final String URL = "redis://127.0.0.1:6379";
    private final RedisClient client = RedisClient.create(URL);
    private final StatefulRedisConnection<String, byte[]> connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
    private final RedisCommands<String, byte[]> commands = connection.sync();
    private final String prefix;

    public Redis(String testName) {
        this.prefix = "keyline-test:" + testName + ":" + UUID.randomUUID() + ":";
    }

    public String prefix() {
        return prefix;
    }

    public RedisCommands<String, byte[]> commands() {
        return commands;
    }

    /** Every key under the prefix with its value. */
    public Map<String, byte[]> entries() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String k : keys()) {
            byte[] v = commands.get(k);
            if (v != null) {
                out.put(k, v);
            }
        }
        return out;
    }

    public List<String> keys() {
        List<String> out = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = commands.scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(1000));
            out.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return out;
    }

    public void clean() {
        List<String> keys = keys();
        if (!keys.isEmpty()) {
            commands.del(keys.toArray(String[]::new));
        }
    }

    @Override
    public void close() {
        clean();
        connection.close();
        client.shutdown();
    }
}
