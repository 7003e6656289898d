package dev.keyline.token;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.util.List;
import java.util.UUID;

/** The real Redis on 127.0.0.1:6379, seen directly (not through the code under test), with a unique key prefix per test class. */
public final class RedisFixture implements AutoCloseable {
    public static final String URL = "redis://127.0.0.1:6379";

    public final String prefix = "keyline-test:" + UUID.randomUUID() + ":";
    private final RedisClient client = RedisClient.create(URL);
    private final StatefulRedisConnection<String, byte[]> connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));

    public RedisCommands<String, byte[]> redis() {
        return connection.sync();
    }

    /** Keys under this fixture's prefix. */
    public List<String> keys() {
        List<String> out = new java.util.ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            var r = redis().scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(500));
            out.addAll(r.getKeys());
            cursor = r;
        } while (!cursor.isFinished());
        return out;
    }

    @Override
    public void close() {
        List<String> keys = keys();
        if (!keys.isEmpty()) {
            redis().del(keys.toArray(String[]::new));
        }
        connection.close();
        client.shutdown();
    }
}
