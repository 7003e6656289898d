package dev.keyline.crypto.core;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Correlation ids as the client and the service both read and make them: at most 128 characters
 * of {@code [A-Za-z0-9._:-]}; fresh ones are random UUIDs.
 */
public final class CorrelationIds {
    private static final CharClass SAFE = CharClass.of("A-Za-z0-9._:-");

    private CorrelationIds() {
    }

    /** Whether {@code id} is accepted unchanged ({@code [A-Za-z0-9._:-]{1,128}}). */
    public static boolean isValid(String id) {
        return id != null && SAFE.matches(id, 1, 128);
    }

    /**
     * A random version-4 UUID. Correlation ids need to be unique, not unpredictable, so this uses
     * {@link ThreadLocalRandom} rather than {@code UUID.randomUUID()}'s shared SecureRandom, which
     * would serialize busy callers.
     */
    public static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(hi, lo).toString();
    }
}
