package dev.keyline.iam.testing;

import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import dev.keyline.iam.decision.AttributeValue;
import dev.keyline.iam.decision.AuthorizationRequest;
import dev.keyline.iam.decision.Evaluation;
import dev.keyline.iam.decision.RequestEntity;
import dev.keyline.iam.decision.Verdict;
import dev.keyline.iam.signing.DecisionClaims;
import java.util.List;
import java.util.Map;
import org.quicktheories.core.Gen;

/** QuickTheories generators for the service's values. */
public final class Gens {
    private Gens() {
    }

    /** Ids: mostly printable ASCII, sometimes Latin-1 letters, CJK or an emoji (never control characters). */
    public static Gen<String> ids() {
        Gen<String> ascii = strings().betweenCodePoints(0x21, 0x7e).ofLengthBetween(1, 24);
        Gen<String> wide = strings().betweenCodePoints(0xa1, 0x2fff).ofLengthBetween(1, 8);
        return arbitrary().pick(List.of(0, 0, 0, 1, 2)).zip(ascii, wide, (kind, a, w) -> switch (kind) {
            case 0 -> a;
            case 1 -> a + w;
            default -> w + "\uD83D\uDE00" + a;
        });
    }

    public static Gen<String> policyIds() {
        return strings().betweenCodePoints('a', 'z').ofLengthBetween(1, 12);
    }

    public static Gen<String> versions() {
        return longs().all().map(l -> String.format("%016x", l));
    }

    public static Gen<Verdict> verdicts() {
        Gen<List<String>> ids = lists().of(policyIds()).ofSizeBetween(1, 3);
        return integers().between(0, 2).zip(ids, (k, p) -> switch (k) {
            case 0 -> new Verdict.Allowed(p);
            case 1 -> new Verdict.Forbidden(p);
            default -> new Verdict.NotPermitted();
        });
    }

    public static Gen<Evaluation> evaluations() {
        return verdicts().zip(lists().of(strings().basicLatinAlphabet().ofLengthBetween(0, 30)).ofSizeBetween(0, 2), versions(),
                Evaluation::new);
    }

    public static Gen<AuthorizationRequest> requests() {
        Gen<RequestEntity> subjects = arbitrary().pick(List.of("User", "Service", "App::User")).zip(ids(), RequestEntity::of);
        Gen<RequestEntity> resources = arbitrary().pick(List.of("Document", "App::Doc")).zip(ids(), longs().all(),
                (t, id, n) -> new RequestEntity(t, id, Map.of("size", new AttributeValue.Int(n))));
        Gen<String> actions = arbitrary().pick(List.of("read", "write", "comment", "delete", "share"));
        return subjects.zip(actions, resources, booleans().all(), (s, a, r, flag) -> new AuthorizationRequest(s, a, r,
                Map.of("mfa", new AttributeValue.Bool(flag))));
    }

    public static Gen<DecisionClaims> claims() {
        Gen<Long> timestamps = longs().between(0, (1L << 53) - 1);
        return timestamps.zip(ids(), ids(), ids(), (ts, d, s, r) -> new Object[] {ts, d, s, r})
                .zip(arbitrary().pick(List.of("read", "write", "delete")), booleans().all(), policyIds(), (o, a, allowed, p) ->
                        new DecisionClaims((Long) o[0], (String) o[1], (String) o[2], (String) o[3], a, allowed, p));
    }
}
