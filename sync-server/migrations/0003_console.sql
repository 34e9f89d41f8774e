-- The CS center's console: every change to a project's setup and its
-- people, with who made it and when (the project document also carries the
-- author and time of each change; this log adds account changes, which live
-- outside the document).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL,
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX audit_log_project ON audit_log (project, id);
