package dev.keyline.crypto.service.access;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.service.keys.Operation;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** A program or person allowed to call the crypto service, and what it may do. */
public record Caller(String name, List<Grant> grants, Instant createdAt) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public Caller {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "caller name must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}");
        }
        grants = List.copyOf(grants);
        Objects.requireNonNull(createdAt);
    }

    public boolean may(Operation op, String namespace) {
        for (Grant g : grants) {
            if (g.allows(namespace, op)) {
                return true;
            }
        }
        return false;
    }

    /** Fails with PERMISSION_DENIED unless this caller may do {@code op} in {@code namespace}. */
    public void require(Operation op, String namespace) {
        if (!may(op, namespace)) {
            throw new CryptoException(Reason.PERMISSION_DENIED,
                    "caller " + name + " may not " + op.grantName() + " keys in namespace " + namespace);
        }
    }
}
