-- Row MACs (HMAC-SHA256 under a subkey of the master key) of every row that decides what a caller
-- or a key may do. Rows that exist at upgrade get theirs from the Java migration V3, once.
ALTER TABLE callers ADD COLUMN row_mac VARCHAR(64);
ALTER TABLE key_rings ADD COLUMN row_mac VARCHAR(64);
ALTER TABLE key_versions ADD COLUMN row_mac VARCHAR(64);

-- AES-GCM invocations reserved per key version (hi/lo blocks), bounded by the NIST limit.
CREATE TABLE key_version_usage (
    namespace   VARCHAR(256)    NOT NULL,
    name        VARCHAR(256)    NOT NULL,
    version     BIGINT NOT NULL,
    encryptions BIGINT NOT NULL,
    row_mac     VARCHAR(64) NOT NULL,
    PRIMARY KEY (namespace, name, version),
    FOREIGN KEY (namespace, name, version) REFERENCES key_versions (namespace, name, version)
);
