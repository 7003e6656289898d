package dev.keyline.crypto.service.access;

import java.util.List;
import java.util.Optional;

/** Durable storage of callers, found by the hash of their token (tokens are never stored). */
public interface CallerStore {
    /** Creates or replaces the caller {@code caller.name()} with a new token hash. */
    void saveCaller(Caller caller, String tokenHash);

    Optional<Caller> findCallerByTokenHash(String tokenHash);

    List<Caller> listCallers();

    boolean deleteCaller(String name);
}
