package dev.keyline.token.storage;

/** The storage behind {@link TokenStore} could not be reached or failed; the request may be retried. */
public final class StorageUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
