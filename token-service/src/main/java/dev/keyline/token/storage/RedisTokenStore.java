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
 * {@link TokenStore} in Redis (through Lettuce), shared by every replica of the token service.
 * Each entry is a hash {@code {v: version, d: value}} under {@code prefix + key} whose Redis TTL is
 * the entry's absolute expiry ({@code PEXPIREAT}), so Redis drops a token family exactly when it
 * expires. Beside it, {@code prefix + key + "#v"} holds the same version (the witness): an entry
 * whose hash is written back from an earlier state (a revoked family restored to before its
 * revocation) no longer matches its witness and every read refuses it with
 * {@link StorageIntegrityException}. With {@link EncryptedTokenStore} the version is also in the
 * value's AAD, so writing back only an old value fails as well. Restoring every key of an entry to
 * one consistent earlier snapshot is not detectable from Redis alone. {@link #compareAndSet} is one Lua script: Redis runs it atomically, so of N concurrent
 * compare-and-sets with the same expected version exactly one writes, on any number of replicas.
 *
 * <p>Redis errors surface as {@link StorageUnavailableException}.
 */
public final class RedisTokenStore implements TokenStore {
    // KEYS come in pairs: an entry's hash, then its version witness (a plain string holding the
    // same version). Both are written together by these scripts only, and expire together.
    private static final String GET_SCRIPT = """
            local t = redis.call('TYPE', KEYS[1])['ok']
            if t == 'none' then return {} end
            if t ~= 'hash' then return {'wrongtype'} end
            local h = redis.call('HMGET', KEYS[1], 'v', 'd')
            if h[1] == false or h[2] == false then return {} end
            local w = redis.call('GET', KEYS[2])
            if w == false then w = '' end
            return {h[1], h[2], w}
            """;
    private static final String CAS_SCRIPT = """
            local cur = redis.call('HGET', KEYS[1], 'v')
            if cur == false then cur = 0 else
              if redis.call('GET', KEYS[2]) ~= cur then return -1 end
              cur = tonumber(cur)
            end
            if cur ~= tonumber(ARGV[1]) then return 0 end
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], 'v', cur + 1, 'd', ARGV[2])
            redis.call('SET', KEYS[2], cur + 1)
            redis.call('PEXPIREAT', KEYS[1], ARGV[3])
            redis.call('PEXPIREAT', KEYS[2], ARGV[3])
            for i = 2, #KEYS / 2 do
              local k, w = KEYS[2 * i - 1], KEYS[2 * i]
              redis.call('DEL', k)
              redis.call('HSET', k, 'v', 1, 'd', ARGV[2 * i])
              redis.call('SET', w, 1)
              redis.call('PEXPIREAT', k, ARGV[2 * i + 1])
              redis.call('PEXPIREAT', w, ARGV[2 * i + 1])
            end
            return 1
            """;
    private static final String PUT_SCRIPT = """
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
            redis.call('SET', KEYS[2], 1)
            redis.call('PEXPIREAT', KEYS[1], ARGV[2])
            redis.call('PEXPIREAT', KEYS[2], ARGV[2])
            return 1
            """;

    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final RedisCommands<String, byte[]> redis;
    private final String prefix;
    private final String getSha;
    private final String casSha;
    private final String putSha;

    private RedisTokenStore(RedisClient client, StatefulRedisConnection<String, byte[]> connection, String prefix) {
        this.client = client;
        this.connection = connection;
        this.redis = connection.sync();
        this.prefix = prefix;
        this.getSha = redis.scriptLoad(GET_SCRIPT);
        this.casSha = redis.scriptLoad(CAS_SCRIPT);
        this.putSha = redis.scriptLoad(PUT_SCRIPT);
    }

    /**
     * Connects to {@code redisUrl} ({@code redis://host:port/db}, {@code rediss://} for TLS) and
     * keeps every key under {@code prefix}.
     */
    public static RedisTokenStore connect(String redisUrl, String prefix, Duration timeout) {
        Objects.requireNonNull(prefix, "prefix");
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(timeout);
        RedisClient client = RedisClient.create(uri);
        try {
            StatefulRedisConnection<String, byte[]> c = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            return new RedisTokenStore(client, c, prefix);
        } catch (RedisException e) {
            client.shutdown();
            throw new StorageUnavailableException("cannot connect to Redis at " + uri.getHost() + ":" + uri.getPort() + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws StorageIntegrityException when the entry's version differs from its witness: the
     *     entry (hash) was written back from an earlier state, or the witness was removed
     */
    @Override
    public Optional<Stored> get(String key) {
        List<Object> r;
        try {
            try {
                r = redis.evalsha(getSha, ScriptOutputType.MULTI, keys(key), new byte[0][]);
            } catch (RedisNoScriptException e) {
                r = redis.eval(GET_SCRIPT, ScriptOutputType.MULTI, keys(key), new byte[0][]);
            }
        } catch (RedisException e) {
            throw new StorageUnavailableException("Redis read failed: " + e.getMessage(), e);
        }
        if (r == null || r.isEmpty()) {
            return Optional.empty();
        }
        if (r.size() != 3) {
            throw new StorageIntegrityException("a stored entry is not of the type this storage writes (overwritten)");
        }
        byte[] version = (byte[]) r.get(0);
        if (!java.util.Arrays.equals(version, (byte[]) r.get(2))) {
            throw new StorageIntegrityException("a stored entry's version does not match its version witness (rolled back or tampered)");
        }
        try {
            return Optional.of(new Stored((byte[]) r.get(1), Long.parseLong(new String(version, StandardCharsets.US_ASCII))));
        } catch (IllegalArgumentException e) {
            throw new StorageIntegrityException("a stored entry has a malformed version", e);
        }
    }

    private String[] keys(String key) {
        return new String[] {prefix + key, witness(key)};
    }

    /** The key of the string holding the version of {@code key}'s entry, beside it. */
    private String witness(String key) {
        return prefix + key + "#v";
    }

    @Override
    public boolean compareAndSet(Put write, long expectedVersion, List<Put> alsoWrite) {
        List<String> keys = new ArrayList<>(2 * (1 + alsoWrite.size()));
        List<byte[]> args = new ArrayList<>(1 + 2 * (1 + alsoWrite.size()));
        args.add(ascii(Long.toString(expectedVersion)));
        keys.add(prefix + write.key());
        keys.add(witness(write.key()));
        args.add(write.value());
        args.add(ascii(Long.toString(write.expiresAt().toEpochMilli())));
        for (Put p : alsoWrite) {
            keys.add(prefix + p.key());
            keys.add(witness(p.key()));
            args.add(p.value());
            args.add(ascii(Long.toString(p.expiresAt().toEpochMilli())));
        }
        Long r = script(casSha, CAS_SCRIPT, keys.toArray(String[]::new), args.toArray(byte[][]::new));
        if (r != null && r == -1L) {
            throw new StorageIntegrityException("a stored entry's version does not match its version witness (rolled back or tampered)");
        }
        return r != null && r == 1L;
    }

    @Override
    public void put(Put put) {
        script(putSha, PUT_SCRIPT, keys(put.key()), new byte[][] {put.value(),
                ascii(Long.toString(put.expiresAt().toEpochMilli()))});
    }

    @Override
    public void delete(String key) {
        try {
            redis.del(keys(key));
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
        return "RedisTokenStore[prefix=" + prefix + "]";
    }
}
