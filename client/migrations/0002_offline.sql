-- Prepared for offline work: the photos (previews) and floor plans this
-- tablet should hold, with how far each got. `gen` is the planning pass that
-- last wanted the file; a row an older pass wanted is no longer needed.
-- state: wanted (not here yet), held, over_budget, missing (the server does
-- not have it yet). `bytes`: what the files take on this tablet.
CREATE TABLE offline_files (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    priority INTEGER NOT NULL,
    gen INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'wanted',
    bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX offline_files_todo ON offline_files (state, priority);

-- Units the inspector opened: prepared for offline work like assigned ones.
CREATE TABLE opened_units (project TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (project, unit));
