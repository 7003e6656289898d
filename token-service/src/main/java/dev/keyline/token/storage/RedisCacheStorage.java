package dev.keyline.token.storage;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link CacheStorage} in Redis (through Lettuce), shared by every replica of the token service.
 * Each entry is a hash {@code {v: version, d: value}} under {@code prefix + key} whose Redis TTL is
 * the entry's absolute expiry ({@code PEXPIREAT}), so Redis drops a token family exactly when it
 * expires. {@link #compareAndSet} is one Lua script: Redis runs it atomically, so of N concurrent
 * compare-and-sets with the same expected version exactly one writes, on any number of replicas.
 *
 * <p>Redis errors surface as {@link StorageUnavailableException}.
 */
public final class RedisCacheStorage implements CacheStorage {
    private static final String CAS_SCRIPT = """
            local cur = redis.call('HGET', KEYS[1], 'v')
            if cur == false then cur = 0 else cur = tonumber(cur) end
            if cur ~= tonumber(ARGV[1]) then return 0 end
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], 'v', cur + 1, 'd', ARGV[2])
            redis.call('PEXPIREAT', KEYS[1], ARGV[3])
            for i = 2, #KEYS do
              redis.call('DEL', KEYS[i])
              redis.call('HSET', KEYS[i], 'v', 1, 'd', ARGV[2 * i])
              redis.call('PEXPIREAT', KEYS[i], ARGV[2 * i + 1])
            end
            return 1
            """;
    private static final String PUT_SCRIPT = """
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
            redis.call('PEXPIREAT', KEYS[1], ARGV[2])
            return 1
            """;

    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final RedisCommands<String, byte[]> redis;
    private final String prefix;
    private final String casSha;
    private final String putSha;

    private RedisCacheStorage(RedisClient client, StatefulRedisConnection<String, byte[]> connection, String prefix) {
        this.client = client;
        this.connection = connection;
        this.redis = connection.sync();
        this.prefix = prefix;
        this.casSha = redis.scriptLoad(CAS_SCRIPT);
        this.putSha = redis.scriptLoad(PUT_SCRIPT);
    }

    /**
     * Connects to {@code redisUrl} ({@code redis://host:port/db}, {@code rediss://} for TLS) and
     * keeps every key under {@code prefix}.
     */
    public static RedisCacheStorage connect(String redisUrl, String prefix, Duration timeout) {
        Objects.requireNonNull(prefix, "prefix");
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(timeout);
        RedisClient client = RedisClient.create(uri);
        try {
            StatefulRedisConnection<String, byte[]> c = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            return new RedisCacheStorage(client, c, prefix);
        } catch (RedisException e) {
            client.shutdown();
            throw new StorageUnavailableException("cannot connect to Redis at " + uri.getHost() + ":" + uri.getPort() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Stored> get(String key) {
        try {
            List<KeyValue<String, byte[]>> r = redis.hmget(prefix + key, "v", "d");
            if (r.size() != 2 || !r.get(0).hasValue() || !r.get(1).hasValue()) {
                return Optional.empty();
            }
            long version = Long.parseLong(new String(r.get(0).getValue(), StandardCharsets.US_ASCII));
            return Optional.of(new Stored(r.get(1).getValue(), version));
        } catch (RedisException e) {
            throw new StorageUnavailableException("Redis read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite) {
        List<String> keys = new ArrayList<>(1 + alsoWrite.size());
        List<byte[]> args = new ArrayList<>(1 + 2 * (1 + alsoWrite.size()));
        args.add(ascii(Long.toString(expectedVersion)));
        keys.add(prefix + write.key());
        args.add(write.value());
        args.add(ascii(Long.toString(write.expiresAt().toEpochMilli())));
        for (Put p : alsoWrite) {
            keys.add(prefix + p.key());
            args.add(p.value());
            args.add(ascii(Long.toString(p.expiresAt().toEpochMilli())));
        }
        Long r = script(casSha, CAS_SCRIPT, keys.toArray(String[]::new), args.toArray(byte[][]::new));
        return r != null && r == 1L;
    }

    @Override
    public void put(Put put) {
        script(putSha, PUT_SCRIPT, new String[] {prefix + put.key()}, new byte[][] {put.value(),
                ascii(Long.toString(put.expiresAt().toEpochMilli()))});
    }

    @Override
    public void delete(String key) {
        try {
            redis.del(prefix + key);
        } catch (RedisException e) {
            throw new StorageUnavailableException("Redis delete failed: " + e.getMessage(), e);
        }
    }

    private Long script(String sha, String source, String[] keys, byte[][] args) {
        try {
            try {
                return redis.evalsha(sha, ScriptOutputType.INTEGER, keys, args);
            } catch (RedisNoScriptException e) {
                // Redis was restarted or flushed its script cache.
                return redis.eval(source, ScriptOutputType.INTEGER, keys, args);
            }
        } catch (RedisException e) {
            throw new StorageUnavailableException("Redis write failed: " + e.getMessage(), e);
        }
    }

    /** Whether Redis answers PING. */
    public boolean ping() {
        try {
            return "PONG".equals(redis.ping());
        } catch (RedisException e) {
            return false;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }

    @Override
    public String toString() {
        return "RedisCacheStorage[prefix=" + prefix + "]";
    }
}
