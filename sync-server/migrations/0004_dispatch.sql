-- Dispatch to contractors: their links, refused link attempts, the notices
-- a change calls for and the outbox that delivers them.

-- A link per contractor per project, opened without an account. Only a
-- hash of its secret is kept; revoked or expired links are refused.
CREATE TABLE contractor_links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    contractor TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoked_by TEXT,
    last_used_at INTEGER
);
CREATE INDEX contractor_links_project ON contractor_links (project, contractor);

-- Every refused link (unknown, revoked, expired): the page shows nothing,
-- the CS center can see the attempts.
CREATE TABLE link_refusals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    link TEXT,
    project TEXT,
    reason TEXT NOT NULL,
    request TEXT NOT NULL
);

-- What a contractor must hear about, one row per item, attempt and
-- contractor (replays add nothing). `digest` names the digest message that
-- carried it; urgent notices go out at once.
CREATE TABLE notices (
    key TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    contractor TEXT NOT NULL,
    urgent INTEGER NOT NULL,
    notice TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    digest TEXT
);
CREATE INDEX notices_pending ON notices (digest, project, contractor);

-- One message per delivery key and channel, delivered by the outbox worker:
-- pending -> sending -> sent, or failing (retried with backoff) -> dead.
CREATE TABLE outbox (
    key TEXT PRIMARY KEY,
    project TEXT NOT NULL,
    contractor TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_project ON outbox (project, created_at);
