package dev.keyline.crypto.client;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * At most one load per key at a time: callers that miss while a load is running wait for it and
 * share its result (or its failure) instead of starting their own.
 */
final class SingleFlight<K, V> {
    private final ConcurrentHashMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

    /**
     * Runs {@code load} in this thread unless another thread is loading {@code key}, in which case
     * waits for that load. A shared failure is rethrown with {@code correlationId}, the id of the
     * waiting caller's own request.
     */
    V load(K key, String correlationId, Supplier<V> load) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            return await(running, correlationId);
        }
        try {
            V v = load.get();
            mine.complete(v);
            return v;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    private static <V> V await(CompletableFuture<V> running, String correlationId) {
        try {
            return running.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptoException(Reason.INTERNAL, "interrupted while waiting for a key load", correlationId, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CryptoException ce) {
                throw ce.withCorrelationId(correlationId);
            }
            throw new CryptoException(Reason.INTERNAL, "a shared key load failed", correlationId, e.getCause());
        }
    }
}
