package dev.keyline.iam.cache;

import dev.keyline.iam.IamException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * L2 in Redis through Lettuce: one multiplexed connection, keys {@code <prefix><digest>}, values
 * the entry bytes, TTL set with {@code SET ... PX} in the same command (never a separate EXPIRE).
 * Every command has {@code timeout}; a failure is {@code IamException(UNAVAILABLE)}, whose message
 * names the host, port and prefix (for the log: {@code DecisionCache} falls back to L1, and the
 * HTTP layer never shows an UNAVAILABLE message to a caller).
 */
public final class RedisCacheStorage implements CacheStorage {
    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final RedisCommands<String, byte[]> commands;
    private final String prefix;
    private final String described;

    private RedisCacheStorage(RedisClient client, StatefulRedisConnection<String, byte[]> connection, String prefix, String described) {
        this.client = client;
        this.connection = connection;
        this.commands = connection.sync();
        this.prefix = prefix;
        this.described = described;
    }

    /** Connects to {@code url} ({@code redis://host:port/db}); fails with {@code UNAVAILABLE} when Redis does not answer. */
    public static RedisCacheStorage connect(String url, String prefix, Duration timeout) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(timeout);
        RedisClient client = RedisClient.create(uri);
        try {
            StatefulRedisConnection<String, byte[]> c = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            c.setTimeout(timeout);
            return new RedisCacheStorage(client, c, prefix, "redis " + uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase()
                    + " prefix " + prefix);
        } catch (RedisException e) {
            client.shutdown();
            throw new IamException(IamException.Reason.UNAVAILABLE, "cannot connect to Redis at " + uri.getHost() + ":" + uri.getPort()
                    + " (key prefix " + prefix + "): " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        try {
            return Optional.ofNullable(commands.get(prefix + key));
        } catch (RedisException e) {
            throw unavailable("GET", e);
        }
    }

    @Override
    public void put(String key, byte[] value, Duration ttl) {
        try {
            commands.set(prefix + key, value, SetArgs.Builder.px(Math.max(1, ttl.toMillis())));
        } catch (RedisException e) {
            throw unavailable("SET", e);
        }
    }

    /** Deletes every key under this storage's prefix (tests clean up with it). Returns how many. */
    public long deleteAll() {
        long n = 0;
        try {
            io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
            do {
                io.lettuce.core.KeyScanCursor<String> page = commands.scan(cursor, io.lettuce.core.ScanArgs.Builder.matches(prefix + "*").limit(500));
                List<String> keys = page.getKeys();
                if (!keys.isEmpty()) {
                    n += commands.del(keys.toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
        } catch (RedisException e) {
            throw unavailable("SCAN/DEL", e);
        }
        return n;
    }

    @Override
    public boolean ping() {
        try {
            return "PONG".equals(commands.ping());
        } catch (RedisException e) {
            return false;
        }
    }

    @Override
    public String describe() {
        return described;
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    private IamException unavailable(String command, RedisException e) {
        // Names the host, port and prefix for the log; the HTTP layer never shows an UNAVAILABLE message to a caller.
        return new IamException(IamException.Reason.UNAVAILABLE, "the decision cache is unavailable (" + command + " on " + described
                + " failed): " + e.getMessage(), e);
    }
}
