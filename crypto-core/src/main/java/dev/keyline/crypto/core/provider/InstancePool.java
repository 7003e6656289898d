package dev.keyline.crypto.core.provider;

import java.security.GeneralSecurityException;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Initialized JCA engines ({@code Signature}, {@code Cipher}) of one key, reused across calls.
 * Looking an engine up and initializing it costs more than the work it then does for small
 * messages: {@code getInstance} parses the transformation and searches the providers, SunJCE's
 * AES expands the key schedule on every new Cipher, and the native provider converts the key on
 * every init. A {@code Signature} returns to its initialized state after {@code sign()} or
 * {@code verify()}, and a reused {@code Cipher} keeps its expanded key across inits with the same
 * key, so keeping a few idle engines saves that work.
 *
 * <p>An engine is returned to the pool only after a use that completed normally; one that threw
 * (a bad tag, a malformed signature) is dropped, so no engine is reused in an unknown state.
 * Thread-safe; each engine is used by one thread at a time.
 *
 * @param <T> the engine type
 */
public final class InstancePool<T> {
    /** Idle engines kept; more concurrent callers than this create and drop their own. */
    private static final int CAPACITY = 32;

    /** Makes a new engine for this pool's key. */
    @FunctionalInterface
    public interface Factory<T> {
        T create() throws GeneralSecurityException;
    }

    /** One use of a borrowed engine. */
    @FunctionalInterface
    public interface Use<T, R> {
        R apply(T engine) throws GeneralSecurityException;
    }

    private final Factory<T> factory;
    private final ArrayBlockingQueue<T> idle = new ArrayBlockingQueue<>(CAPACITY);

    public InstancePool(Factory<T> factory) {
        this.factory = factory;
    }

    /** Runs {@code use} with an idle engine, or a new one; returns the engine when {@code use} returns. */
    public <R> R use(Use<T, R> use) throws GeneralSecurityException {
        T engine = idle.poll();
        if (engine == null) {
            engine = factory.create();
        }
        R result = use.apply(engine);
        idle.offer(engine);
        return result;
    }
}
