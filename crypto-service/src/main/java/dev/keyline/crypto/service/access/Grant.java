package dev.keyline.crypto.service.access;

import dev.keyline.crypto.core.CryptoException;
import dev.keyline.crypto.core.CryptoException.Reason;
import dev.keyline.crypto.service.keys.Operation;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Permission to perform some operations on the keys of one namespace ({@code *} for every
 * namespace). Text form: {@code namespace:op,op}; {@code namespace:*} grants every operation.
 * A list of grants is written {@code token:sign,verify;iam:*}.
 */
public record Grant(String namespace, Set<Operation> operations) {
    private static final Pattern NAMESPACE = Pattern.compile("\\*|[a-z0-9][a-z0-9._-]{0,63}");

    public Grant {
        if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "grant namespace must be * or a key namespace");
        }
        if (operations == null || operations.isEmpty()) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "a grant needs at least one operation");
        }
        // An EnumSet: contains() is a bit test, and it runs for every item of every call.
        operations = java.util.Collections.unmodifiableSet(EnumSet.copyOf(operations));
    }

    public boolean allows(String keyNamespace, Operation op) {
        boolean nsOk = namespace.equals("*") || namespace.equals(keyNamespace);
        // MANAGE implies READ: whoever may rotate a key may read its metadata.
        return nsOk && (operations.contains(op) || (op == Operation.READ && operations.contains(Operation.MANAGE)));
    }

    public static Grant parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new CryptoException(Reason.INVALID_ARGUMENT, "grant must be namespace:operations, got '" + text + "'");
        }
        String ns = text.substring(0, colon).trim();
        String ops = text.substring(colon + 1).trim();
        Set<Operation> set = EnumSet.noneOf(Operation.class);
        if (ops.equals("*")) {
            set = EnumSet.allOf(Operation.class);
        } else {
            for (String op : ops.split(",")) {
                try {
                    set.add(Operation.fromGrantName(op));
                } catch (IllegalArgumentException e) {
                    throw new CryptoException(Reason.INVALID_ARGUMENT, "unknown operation '" + op.trim() + "' in grant; expected one of "
                            + "encrypt, decrypt, sign, verify, data-key, manage, read or *");
                }
            }
        }
        return new Grant(ns, set);
    }

    public static List<Grant> parseList(String text) {
        List<Grant> out = new ArrayList<>();
        for (String part : text.split(";")) {
            if (!part.isBlank()) {
                out.add(parse(part.trim()));
            }
        }
        return List.copyOf(out);
    }

    public static String formatList(List<Grant> grants) {
        StringBuilder sb = new StringBuilder();
        for (Grant g : grants) {
            if (!sb.isEmpty()) {
                sb.append(';');
            }
            sb.append(g.namespace).append(':');
            if (g.operations.containsAll(EnumSet.allOf(Operation.class))) {
                sb.append('*');
            } else {
                sb.append(String.join(",", g.operations.stream().sorted().map(Operation::grantName).toList()));
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return formatList(List.of(this));
    }
}
