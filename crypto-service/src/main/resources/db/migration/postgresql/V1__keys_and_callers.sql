CREATE TABLE key_rings (
    namespace               VARCHAR(256)    NOT NULL,
    name                    VARCHAR(256)    NOT NULL,
    algorithm               VARCHAR(256)    NOT NULL,
    state                   VARCHAR(256)    NOT NULL,
    primary_version         BIGINT NOT NULL,
    min_decryption_version  BIGINT NOT NULL,
    rotation_period_seconds BIGINT NOT NULL,
    created_at              BIGINT NOT NULL,
    rotated_at              BIGINT NOT NULL,
    deletion_at             BIGINT,
    revision                BIGINT NOT NULL,
    PRIMARY KEY (namespace, name)
);

CREATE TABLE key_versions (
    namespace        VARCHAR(256)    NOT NULL,
    name             VARCHAR(256)    NOT NULL,
    version          BIGINT NOT NULL,
    state            VARCHAR(256)    NOT NULL,
    created_at       BIGINT NOT NULL,
    deletion_at      BIGINT,
    wrapped_material BYTEA,
    PRIMARY KEY (namespace, name, version),
    FOREIGN KEY (namespace, name) REFERENCES key_rings (namespace, name)
);

CREATE TABLE callers (
    name       VARCHAR(256)    NOT NULL PRIMARY KEY,
    token_hash VARCHAR(256)    NOT NULL UNIQUE,
    grants     TEXT            NOT NULL,
    created_at BIGINT NOT NULL
);
