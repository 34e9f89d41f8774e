-- The tablet's store. Applied once, recorded in `migrations`; never edited.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Each document: a snapshot plus incremental chunks appended per change.
CREATE TABLE docs (
    doc TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    kind TEXT NOT NULL,
    snapshot BLOB NOT NULL,
    heads TEXT NOT NULL,
    server_heads TEXT NOT NULL DEFAULT '',
    dirty INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX docs_project ON docs (project, dirty);
CREATE TABLE doc_chunks (
    doc TEXT NOT NULL REFERENCES docs (doc),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc, seq)
);

-- The read model: rows derived from unit documents, replaced per unit in
-- the same transaction as the document change. `row` is the core's row as
-- JSON; the other columns are for filtering.
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
CREATE TABLE rm_rechecks (
    project TEXT NOT NULL,
    unit TEXT NOT NULL,
    defect TEXT NOT NULL,
    round INTEGER NOT NULL,
    row TEXT NOT NULL
);
CREATE INDEX rm_rechecks_unit ON rm_rechecks (project, unit);
CREATE TABLE rm_unit_rounds (
    project TEXT NOT NULL,
    unit TEXT NOT NULL,
    round INTEGER NOT NULL,
    status TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (project, unit, round)
);

-- Photos on this tablet: files under the photo directory, named by hash.
CREATE TABLE photos (
    hash TEXT PRIMARY KEY,
    mime TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL
);
