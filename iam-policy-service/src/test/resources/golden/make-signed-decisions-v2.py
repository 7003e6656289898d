#!/usr/bin/env python3
"""Makes signed-decisions-v2.json independently of the Java code: Python's JSON encoder for the
JCS payloads, this file's own encoder for the canonical request bytes, hashlib for the digests
and the Merkle tree (RFC 9162), OpenSSL for the signatures (the test-only key of
signed-decisions.json). Run from this directory: python3 make-signed-decisions-v2.py"""
import base64, hashlib, json, struct, subprocess, tempfile, os

GOLDEN_V1 = json.load(open("signed-decisions.json"))

def text(s):
    b = s.encode("utf-8")
    return b"\x01" + struct.pack(">I", len(b)) + b

def opening(kind, n):
    return b"\x05" + kind.encode("ascii") + struct.pack(">I", n)

def value(v):
    if isinstance(v, bool):
        return b"\x02" + (b"\x01" if v else b"\x00")
    if isinstance(v, int):
        return b"\x03" + struct.pack(">q", v)
    if isinstance(v, str):
        return text(v)
    if isinstance(v, list):
        return opening("s", len(v)) + b"".join(value(e) for e in v)
    if isinstance(v, dict) and list(v.keys()) == ["__entity"]:
        return opening("e", 2) + text(v["__entity"]["type"]) + text(v["__entity"]["id"])
    return fields("r", v)

def fields(kind, m):
    # Keys in UTF-16 code unit order (Java's String order); the same as code point order for these keys.
    return opening(kind, len(m)) + b"".join(text(k) + value(m[k]) for k in sorted(m))

def entity(e):
    return opening("E", 3) + text(e["type"]) + text(e["id"]) + fields("r", e.get("attributes", {}))

def canonical_request(r):
    return text("keyline-iam-request-v1") + entity(r["subject"]) + text(r["action"]) + entity(r["resource"]) + fields("c", r.get("context", {}))

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jcs(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

def sign(payload):
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, "k.pem")
        open(key, "w").write(GOLDEN_V1["private_key_pkcs8_pem"])
        data = os.path.join(d, "p.bin")
        open(data, "wb").write(payload)
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, data], check=True, capture_output=True).stdout
    return base64.b64encode(sig).decode()

def leaf(p):
    return hashlib.sha256(b"\x00" + p).digest()

def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()

def mth(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))

def path(m, leaves):
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]

REQUEST = {
    "subject": {"type": "User", "id": "alice", "attributes": {"department": "eng", "level": 3}},
    "action": "read",
    "resource": {"type": "Document", "id": "payroll", "attributes": {
        "owner": {"__entity": {"type": "User", "id": "alice"}}, "public": False, "tags": ["hr", "q1"],
        "limits": {"max": -5, "unit": "zoë"}}},
    "context": {"ip": "10.0.0.1", "mfa": True},
}
FOLDER = json.loads(json.dumps(REQUEST))
FOLDER["resource"]["type"] = "Folder"

def decision(request, decision_id, allowed, policy_name, ts):
    return {"action": request["action"], "allowed": allowed, "caller": "billing-api", "decision_id": decision_id,
            "exp": ts // 1000 + 300, "format": "keyline-decision-v2", "iat": ts // 1000, "policy_name": policy_name,
            "policy_version": "3f0c9a1d2b7e4c55", "request_digest": b64url(hashlib.sha256(canonical_request(request)).digest()),
            "resource_id": request["resource"]["id"], "subject_id": request["subject"]["id"], "timestamp": ts}

cases = []
for request, did, allowed, pname, ts in [
        (REQUEST, "0f8fad5b-d9cb-469f-a165-70867728950e", True, "owners-read", 1767225600000),
        (FOLDER, "7c9e6679-7425-40de-944b-e07fc1f90ae7", False, "default-deny", 1767225601234)]:
    d = decision(request, did, allowed, pname, ts)
    p = jcs(d)
    cases.append({"request": request, "canonical_request_base64": base64.b64encode(canonical_request(request)).decode(),
                  "decision": d, "payload": p.decode("utf-8"), "payload_base64": base64.b64encode(p).decode(), "signature": sign(p)})

# A batch of three (the two above and a third), signed once over the Merkle root.
third = decision({"subject": {"type": "User", "id": "bob"}, "action": "write", "resource": {"type": "Document", "id": "roadmap"}},
                 "16fd2706-8baf-433b-82eb-8c7fada847da", True, "editors-write", 1767225602000)
items = [cases[0]["decision"], cases[1]["decision"], third]
leaves = [leaf(jcs(d)) for d in items]
root = mth(leaves)
batch_payload = jcs({"format": "keyline-decision-batch-v2", "root": b64url(root), "size": len(items)})
batch = {"decisions": items, "root": b64url(root), "batch_payload": batch_payload.decode(), "signature": sign(batch_payload),
         "paths": [[b64url(h) for h in path(i, leaves)] for i in range(len(items))]}

out = {"comment": "Golden signed decisions, format version 2 (keyline-decision-v2) and a batch signed once over a Merkle root; made by"
       " make-signed-decisions-v2.py with Python and OpenSSL, with the test-only key of signed-decisions.json. Never use that key for"
       " anything else.", "key_id": GOLDEN_V1["key_id"], "cases": cases, "batch": batch}
json.dump(out, open("signed-decisions-v2.json", "w"), indent=2, ensure_ascii=False)
open("signed-decisions-v2.json", "a").write("\n")
