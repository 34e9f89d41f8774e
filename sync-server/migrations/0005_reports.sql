-- Round reports: what their appendices read, the photos they print, and
-- the reports the CS center has issued (frozen) with their share links.

-- The words and photos (with marks) of each defect, replaced per unit with
-- each document change like the other read-model tables.
CREATE TABLE rm_defect_details (
    project TEXT NOT NULL,
    unit TEXT NOT NULL,
    id TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (project, id)
);
CREATE INDEX rm_defect_details_unit ON rm_defect_details (project, unit);

-- Projects whose read model is to be derived again from their documents
-- (the server does it when it starts): here, every project stored before
-- the details table existed.
CREATE TABLE read_model_rebuild (project TEXT PRIMARY KEY);
INSERT INTO read_model_rebuild SELECT DISTINCT project FROM docs WHERE kind = 'unit';

-- A small JPEG of each photo for printing, made once.
CREATE TABLE blob_thumbs (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL);

-- An issued report is frozen: its files are stored as issued and served
-- byte for byte later. Versions count per project, scope and round.
CREATE TABLE issued_reports (
    id TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    scope TEXT NOT NULL,
    round INTEGER NOT NULL,
    version INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    issued_by TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    with_photos INTEGER NOT NULL,
    json BLOB NOT NULL,
    pdf BLOB NOT NULL,
    xlsx BLOB NOT NULL,
    UNIQUE (project, scope, round, version)
);

-- Links that open one issued report without an account. Only a hash of
-- the secret is kept; a revoked link is refused.
CREATE TABLE report_shares (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    report TEXT NOT NULL REFERENCES issued_reports (id),
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT,
    last_used_at INTEGER
);
CREATE INDEX report_shares_report ON report_shares (report);
