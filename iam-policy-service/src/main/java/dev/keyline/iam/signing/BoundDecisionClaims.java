package dev.keyline.iam.signing;

import dev.keyline.iam.decision.AuthorizationRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Signed-decision format version 2: the seven seed fields, plus what binds the decision to the one
 * request it answers and the caller who asked, and a validity period.
 *
 * <h2>Canonical payload</h2>
 * The JSON object of these thirteen members, serialized by RFC 8785 (JCS) as in
 * {@link DecisionClaims} (members sorted by name, no whitespace, UTF-8):
 * <pre>
 * {"action":"read","allowed":true,"caller":"demo","decision_id":"…","exp":1767225900,
 *  "format":"keyline-decision-v2","iat":1767225600,"policy_name":"…","policy_version":"…",
 *  "request_digest":"…","resource_id":"roadmap","subject_id":"alice","timestamp":1767225600000}
 * </pre>
 * (one line in reality).
 *
 * @param caller the authenticated caller that asked (the {@code client_id} of its access token)
 * @param policyVersion the version of the policy set that decided
 * @param requestDigest base64url (no padding) of SHA-256 over {@link AuthorizationRequest#canonicalBytes()}:
 *     subject and resource types, ids and caller-supplied attributes, the action and the context
 * @param issuedAt {@code iat}, Unix seconds
 * @param expiresAt {@code exp}, Unix seconds; a verifier refuses the decision from then on
 */
public record BoundDecisionClaims(DecisionClaims seed, String caller, String policyVersion, String requestDigest, long issuedAt, long expiresAt)
        implements SignedClaims {
    public static final String FORMAT = "keyline-decision-v2";
    private static final Pattern DIGEST = Pattern.compile("[A-Za-z0-9_-]{43}");
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    public BoundDecisionClaims {
        Objects.requireNonNull(seed, "seed");
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(policyVersion, "policyVersion");
        Objects.requireNonNull(requestDigest, "requestDigest");
        if (!DIGEST.matcher(requestDigest).matches()) {
            throw new IllegalArgumentException("request_digest must be the base64url (no padding) of a SHA-256 digest");
        }
        if (issuedAt < 0 || expiresAt < issuedAt || expiresAt > MAX_SAFE_INTEGER) {
            throw new IllegalArgumentException("iat and exp must be Unix seconds with 0 <= iat <= exp < 2^53");
        }
    }

    /** The request digest of {@code request}: base64url (no padding) of SHA-256 over its canonical bytes. */
    public static String digest(AuthorizationRequest request) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(request.canonicalBytes());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public byte[] canonicalPayload() {
        StringBuilder sb = new StringBuilder(400);
        sb.append("{\"action\":");
        DecisionClaims.jcsString(sb, seed.action());
        sb.append(",\"allowed\":").append(seed.allowed());
        sb.append(",\"caller\":");
        DecisionClaims.jcsString(sb, caller);
        sb.append(",\"decision_id\":");
        DecisionClaims.jcsString(sb, seed.decisionId());
        sb.append(",\"exp\":").append(expiresAt);
        sb.append(",\"format\":");
        DecisionClaims.jcsString(sb, FORMAT);
        sb.append(",\"iat\":").append(issuedAt);
        sb.append(",\"policy_name\":");
        DecisionClaims.jcsString(sb, seed.policyName());
        sb.append(",\"policy_version\":");
        DecisionClaims.jcsString(sb, policyVersion);
        sb.append(",\"request_digest\":");
        DecisionClaims.jcsString(sb, requestDigest);
        sb.append(",\"resource_id\":");
        DecisionClaims.jcsString(sb, seed.resourceId());
        sb.append(",\"subject_id\":");
        DecisionClaims.jcsString(sb, seed.subjectId());
        sb.append(",\"timestamp\":").append(seed.timestamp()).append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
