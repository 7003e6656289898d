package dev.keyline.iam.policy;

import com.cedarpolicy.AuthorizationEngine;
import com.cedarpolicy.model.EntityValidationRequest;
import com.cedarpolicy.model.ValidationRequest;
import com.cedarpolicy.model.ValidationResponse;
import com.cedarpolicy.model.entity.Entities;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.model.schema.Schema;
import dev.keyline.iam.IamException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a policy directory into a complete {@link LoadedPolicies}, or refuses it with every
 * problem found. The directory holds:
 * <ul>
 *   <li>{@code *.cedar} — Cedar policies, at least one file and one policy. A policy's id is its
 *       {@code @id("...")} annotation, else {@code <file name without .cedar>.<n>} with {@code n}
 *       its 0-based position in the file. Ids match {@code [A-Za-z0-9._:/-]{1,128}} and are unique.
 *       Templates are refused.</li>
 *   <li>{@code entities.json} (optional) — Cedar's standard entity JSON: users, roles, and their
 *       {@code parents}, the RBAC hierarchy. Duplicate uids and parent cycles are refused.</li>
 *   <li>{@code *.cedarschema} (optional, at most one) — a Cedar schema; when present the policies
 *       and the entities must validate against it.</li>
 * </ul>
 * Other files and sub-directories are ignored. Only files are read; nothing is written.
 */
final class PolicyDirectory {
    static final String ENTITIES_FILE = "entities.json";
    private static final Pattern POLICY_ID = Pattern.compile("[A-Za-z0-9._:/-]{1,128}");
    private static final long MAX_FILE_BYTES = 16L << 20;

    private PolicyDirectory() {
    }

    /** Loads {@code dir}; fails with {@code POLICY_INVALID} listing every problem. */
    static LoadedPolicies load(Path dir, AuthorizationEngine engine, Instant now) {
        List<String> problems = new ArrayList<>();
        TreeMap<String, String> files = readFiles(dir, problems);
        if (!problems.isEmpty()) {
            throw refused(dir, problems);
        }
        List<String> policyFiles = files.keySet().stream().filter(n -> n.endsWith(".cedar")).toList();
        List<String> schemaFiles = files.keySet().stream().filter(n -> n.endsWith(".cedarschema")).toList();
        if (policyFiles.isEmpty()) {
            problems.add("no *.cedar policy file in " + dir);
        }
        if (schemaFiles.size() > 1) {
            problems.add("more than one *.cedarschema file: " + schemaFiles);
        }

        Set<Policy> policies = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (String name : policyFiles) {
            parsePolicies(name, files.get(name), policies, ids, problems);
        }
        if (problems.isEmpty() && policies.isEmpty()) {
            problems.add("the *.cedar files hold no policy");
        }

        List<Entity> entityList = List.of();
        if (files.containsKey(ENTITIES_FILE)) {
            try {
                entityList = new ArrayList<>(Entities.parse(files.get(ENTITIES_FILE)).getEntities());
            } catch (IOException | RuntimeException e) {
                problems.add(ENTITIES_FILE + ": not Cedar entity JSON: " + firstLine(e.getMessage()));
            }
        }
        EntityGraph graph = EntityGraph.of(entityList, problems);

        PolicySet set = new PolicySet(policies);
        boolean validated = false;
        if (schemaFiles.size() == 1 && problems.isEmpty()) {
            validated = validate(schemaFiles.get(0), files.get(schemaFiles.get(0)), set, entityList, engine, problems);
        }
        if (!problems.isEmpty()) {
            throw refused(dir, problems);
        }
        try {
            // Parse once on the native side; evaluations then reuse it (Cedar frees it with this object).
            set.cache();
        } catch (RuntimeException | com.cedarpolicy.model.exception.CacheException e) {
            throw refused(dir, List.of("Cedar could not prepare the policy set: " + firstLine(e.getMessage())));
        }
        PolicySetInfo info = new PolicySetInfo(version(files), new ArrayList<>(ids), graph.size(), validated, now);
        return new LoadedPolicies(set, graph, info);
    }

    private static TreeMap<String, String> readFiles(Path dir, List<String> problems) {
        TreeMap<String, String> files = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            problems.add(dir + " is not a directory");
            return files;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                boolean relevant = name.endsWith(".cedar") || name.endsWith(".cedarschema") || name.equals(ENTITIES_FILE);
                if (!relevant || name.startsWith(".") || !Files.isRegularFile(p)) {
                    continue;
                }
                if (Files.size(p) > MAX_FILE_BYTES) {
                    problems.add(name + ": larger than " + MAX_FILE_BYTES + " bytes");
                    continue;
                }
                try {
                    files.put(name, StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(p))).toString());
                } catch (CharacterCodingException e) {
                    problems.add(name + ": not UTF-8 text");
                }
            }
        } catch (IOException e) {
            problems.add("cannot read " + dir + ": " + e);
        }
        return files;
    }

    private static void parsePolicies(String file, String text, Set<Policy> out, Set<String> ids, List<String> problems) {
        PolicySet parsed;
        try {
            parsed = PolicySet.parsePolicies(text);
        } catch (AuthException | RuntimeException e) {
            problems.add(file + ": not valid Cedar: " + cedarMessage(e));
            return;
        }
        if (parsed.getNumTemplates() > 0) {
            problems.add(file + ": policy templates are not supported");
        }
        String stem = file.substring(0, file.length() - ".cedar".length());
        for (Policy p : parsed.policies) {
            String id;
            try {
                String annotated = p.getAnnotations().get("id");
                id = annotated != null ? annotated : stem + "." + Integer.parseInt(p.getID().replace("policy", ""));
            } catch (AuthException | NumberFormatException e) {
                problems.add(file + ": cannot read the annotations of a policy: " + firstLine(e.getMessage()));
                continue;
            }
            if (!POLICY_ID.matcher(id).matches()) {
                problems.add(file + ": policy id '" + id + "' must match [A-Za-z0-9._:/-]{1,128}");
            } else if (!ids.add(id)) {
                problems.add(file + ": policy id '" + id + "' is used more than once");
            } else {
                out.add(new Policy(p.getSource(), id));
            }
        }
    }

    private static boolean validate(String file, String text, PolicySet set, List<Entity> entities, AuthorizationEngine engine,
            List<String> problems) {
        Schema schema;
        try {
            schema = Schema.parse(Schema.JsonOrCedar.Cedar, text);
        } catch (AuthException | RuntimeException e) {
            problems.add(file + ": not a valid Cedar schema: " + cedarMessage(e));
            return false;
        }
        try {
            ValidationResponse r = engine.validate(new ValidationRequest(schema, set));
            if (r.success.isPresent()) {
                r.success.get().validationErrors.forEach(e -> problems.add("policy " + e.getPolicyId() + " does not validate against "
                        + file + ": " + e.getError().message));
            }
            r.errors.ifPresent(errs -> errs.forEach(e -> problems.add("validation against " + file + " failed: " + e.message)));
            if (!r.validationPassed() && r.success.isEmpty() && r.errors.isEmpty()) {
                problems.add("the policies do not validate against " + file);
            }
        } catch (AuthException | RuntimeException e) {
            problems.add("cannot validate the policies against " + file + ": " + cedarMessage(e));
        }
        if (!entities.isEmpty()) {
            try {
                engine.validateEntities(new EntityValidationRequest(schema, entities));
            } catch (AuthException | RuntimeException e) {
                problems.add(ENTITIES_FILE + ": does not validate against " + file + ": " + cedarMessage(e));
            }
        }
        return true;
    }

    /** SHA-256 over every file read (name and content, length-prefixed), first 16 hex digits. */
    private static String version(TreeMap<String, String> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, String> f : files.entrySet()) {
                for (String part : new String[] {f.getKey(), f.getValue()}) {
                    byte[] b = part.getBytes(StandardCharsets.UTF_8);
                    sha.update(ByteBuffer.allocate(8).putLong(b.length).array());
                    sha.update(b);
                }
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    private static IamException refused(Path dir, List<String> problems) {
        return new IamException(IamException.Reason.POLICY_INVALID, "policy directory " + dir + " refused (" + problems.size() + " problem"
                + (problems.size() == 1 ? "" : "s") + "): " + String.join("; ", problems), problems, null);
    }

    /** Cedar's messages start with layers of "Internal error: Internal JNI Error:"; keep the meaningful part. */
    static String cedarMessage(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof com.cedarpolicy.model.exception.InternalException ie && !ie.getErrors().isEmpty()) {
            m = String.join("; ", ie.getErrors());
        }
        m = m.replace("Auth Exception: ", "").replace("Internal error: ", "").replace("Internal JNI Error: ", "").replace("Bad request: ", "");
        m = m.strip();
        if (m.endsWith(":")) {
            m = m.substring(0, m.length() - 1);
        }
        return firstLine(m);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 500 ? line.substring(0, 500) + "…" : line;
    }
}
