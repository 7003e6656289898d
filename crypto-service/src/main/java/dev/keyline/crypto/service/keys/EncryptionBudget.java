package dev.keyline.crypto.service.keys;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The encryptions one key version may still make in this process: a block reserved from the
 * store (hi/lo), used with one atomic decrement per encryption, refilled under a lock when empty.
 * The store's count is what all replicas reserved, so together they never pass the limit.
 */
final class EncryptionBudget {
    /** Left in the current block; may go below zero while a refill is pending (those takes failed). */
    private final AtomicLong left = new AtomicLong();

    /**
     * Takes one encryption; {@code refill} reserves the next block and returns how many it got,
     * 0 at the limit, in which case this returns false.
     */
    boolean take(LongSupplier refill) {
        while (true) {
            if (left.getAndDecrement() > 0) {
                return true;
            }
            synchronized (this) {
                if (left.get() > 0) {
                    continue;
                }
                long granted = refill.getAsLong();
                if (granted <= 0) {
                    left.set(0);
                    return false;
                }
                left.set(granted);
            }
        }
    }
}
