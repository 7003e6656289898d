-- Row MACs (HMAC-SHA256 under a subkey of the master key) of every row that decides what a caller
-- or a key may do. Rows that exist at upgrade get theirs from the Java migration V3, once.
ALTER TABLE callers ADD COLUMN row_mac TEXT;
ALTER TABLE key_rings ADD COLUMN row_mac TEXT;
ALTER TABLE key_versions ADD COLUMN row_mac TEXT;

-- AES-GCM invocations reserved per key version (hi/lo blocks), bounded by the NIST limit.
CREATE TABLE key_version_usage (
    namespace   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    encryptions INTEGER NOT NULL,
    row_mac     TEXT NOT NULL,
    PRIMARY KEY (namespace, name, version),
    FOREIGN KEY (namespace, name, version) REFERENCES key_versions (namespace, name, version)
);
