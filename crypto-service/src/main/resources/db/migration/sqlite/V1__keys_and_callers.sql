CREATE TABLE key_rings (
    namespace               TEXT    NOT NULL,
    name                    TEXT    NOT NULL,
    algorithm               TEXT    NOT NULL,
    state                   TEXT    NOT NULL,
    primary_version         INTEGER NOT NULL,
    min_decryption_version  INTEGER NOT NULL,
    rotation_period_seconds INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    rotated_at              INTEGER NOT NULL,
    deletion_at             INTEGER,
    revision                INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
);

CREATE TABLE key_versions (
    namespace        TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    state            TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    deletion_at      INTEGER,
    wrapped_material BLOB,
    PRIMARY KEY (namespace, name, version),
    FOREIGN KEY (namespace, name) REFERENCES key_rings (namespace, name)
);

CREATE TABLE callers (
    name       TEXT    NOT NULL PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    grants     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
