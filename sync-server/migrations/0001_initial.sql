-- The server's embedded database. Applied once, recorded in `migrations`.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    company TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE user_projects (
    user_id TEXT NOT NULL REFERENCES users (id),
    project TEXT NOT NULL,
    PRIMARY KEY (user_id, project)
);
-- Only a hash of each token is kept.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL
);

-- Documents: a snapshot plus incremental chunks; `seq` is the project's
-- change counter at the document's last change (the sync cursor).
CREATE TABLE docs (
    doc TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    kind TEXT NOT NULL,
    snapshot BLOB NOT NULL,
    heads TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX docs_project_seq ON docs (project, seq);
CREATE TABLE doc_chunks (
    doc TEXT NOT NULL REFERENCES docs (doc),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc, seq)
);
CREATE TABLE project_seq (project TEXT PRIMARY KEY, seq INTEGER NOT NULL);

-- The read model, replaced per unit with each document change.
CREATE TABLE rm_defects (
    project TEXT NOT NULL,
    unit TEXT NOT NULL,
    id TEXT NOT NULL,
    status TEXT NOT NULL,
    contractor TEXT,
    found_round INTEGER NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (project, id)
);
CREATE INDEX rm_defects_unit ON rm_defects (project, unit);
CREATE INDEX rm_defects_contractor ON rm_defects (project, contractor);
CREATE TABLE rm_rechecks (project TEXT NOT NULL, unit TEXT NOT NULL, defect TEXT NOT NULL, round INTEGER NOT NULL, row TEXT NOT NULL);
CREATE INDEX rm_rechecks_unit ON rm_rechecks (project, unit);
CREATE TABLE rm_unit_rounds (
    project TEXT NOT NULL,
    unit TEXT NOT NULL,
    round INTEGER NOT NULL,
    status TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (project, unit, round)
);

-- Photos by content hash.
CREATE TABLE blobs (hash TEXT PRIMARY KEY, mime TEXT NOT NULL, bytes BLOB NOT NULL, created_at INTEGER NOT NULL);
