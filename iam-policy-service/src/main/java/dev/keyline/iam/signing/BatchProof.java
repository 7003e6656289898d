package dev.keyline.iam.signing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where one decision sits in a batch signed with one signature: a Merkle tree (RFC 9162 §2.1:
 * leaf hash {@code SHA-256(0x00 ‖ payload)}, node hash {@code SHA-256(0x01 ‖ left ‖ right)}) over
 * the canonical payloads of the batch's decisions, in order. The signature covers the batch
 * payload {@code {"format":"keyline-decision-batch-v2","root":"<base64url root>","size":n}} (JCS);
 * a decision proves it is in the batch with its {@code index}, the batch {@code size} and the
 * audit {@code path} (the sibling hashes, leaf to root, base64url without padding).
 *
 * @param path at most 64 hashes of 32 bytes
 */
public record BatchProof(int index, int size, List<byte[]> path) {
    public static final String FORMAT = "keyline-decision-batch-v2";

    public BatchProof {
        if (size < 1 || index < 0 || index >= size) {
            throw new IllegalArgumentException("batch index must be in [0, size) and size positive");
        }
        path = path.stream().map(byte[]::clone).toList();
        if (path.size() > 64 || path.stream().anyMatch(h -> h.length != 32)) {
            throw new IllegalArgumentException("batch path must be at most 64 SHA-256 hashes");
        }
    }

    /** The path as the HTTP API carries it. */
    public List<String> pathBase64() {
        return path.stream().map(h -> Base64.getUrlEncoder().withoutPadding().encodeToString(h)).toList();
    }

    @Override
    public List<byte[]> path() {
        return path.stream().map(byte[]::clone).toList();
    }

    /** The root this proof leads to from {@code payload}; empty when the path does not fit the index and size. */
    Optional<byte[]> root(byte[] payload) {
        // RFC 9162 §2.1.3.2.
        long fn = index;
        long sn = size - 1L;
        byte[] r = leaf(payload);
        for (byte[] p : path) {
            if (sn == 0) {
                return Optional.empty();
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = node(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? Optional.of(r) : Optional.empty();
    }

    /** The bytes one signature covers for a batch with this root and size. */
    static byte[] batchPayload(byte[] root, int size) {
        return ("{\"format\":\"" + FORMAT + "\",\"root\":\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(root) + "\",\"size\":"
                + size + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** The Merkle tree hash of {@code leaves} (leaf hashes). */
    static byte[] treeHash(List<byte[]> leaves, int from, int to) {
        int n = to - from;
        if (n == 1) {
            return leaves.get(from);
        }
        int k = largestPowerOfTwoBelow(n);
        return node(treeHash(leaves, from, from + k), treeHash(leaves, from + k, to));
    }

    /** The audit path of leaf {@code m} among {@code leaves[from, to)}, leaf to root. */
    static List<byte[]> auditPath(int m, List<byte[]> leaves, int from, int to) {
        int n = to - from;
        List<byte[]> out = new ArrayList<>();
        if (n <= 1) {
            return out;
        }
        int k = largestPowerOfTwoBelow(n);
        if (m < k) {
            out.addAll(auditPath(m, leaves, from, from + k));
            out.add(treeHash(leaves, from + k, to));
        } else {
            out.addAll(auditPath(m - k, leaves, from + k, to));
            out.add(treeHash(leaves, from, from + k));
        }
        return out;
    }

    static byte[] leaf(byte[] payload) {
        MessageDigest d = sha256();
        d.update((byte) 0);
        return d.digest(payload);
    }

    private static byte[] node(byte[] left, byte[] right) {
        MessageDigest d = sha256();
        d.update((byte) 1);
        d.update(left);
        return d.digest(right);
    }

    private static int largestPowerOfTwoBelow(int n) {
        return Integer.highestOneBit(n - 1);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BatchProof b) || b.index != index || b.size != size || b.path.size() != path.size()) {
            return false;
        }
        for (int i = 0; i < path.size(); i++) {
            if (!java.util.Arrays.equals(path.get(i), b.path.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, size, pathBase64());
    }

    @Override
    public String toString() {
        return "BatchProof[" + index + " of " + size + "]";
    }
}
