-- Issue 12 (web): photos readable only within their projects, share links
-- that expire, and refused contractor links logged per project, bounded.
-- (0006 is left to the accounts migration.)

-- Which photos each unit's defects show, replaced with the unit's other
-- read-model rows; a photo is readable by the accounts of these projects.
CREATE TABLE rm_photos (
    project TEXT NOT NULL,
    unit TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (project, unit, hash)
);
CREATE INDEX rm_photos_hash ON rm_photos (hash, project);
-- Fill it for every project stored before it existed.
INSERT OR IGNORE INTO read_model_rebuild SELECT DISTINCT project FROM docs WHERE kind = 'unit';

-- Who uploaded a blob: `user:<id>` (the uploader reads it back before its
-- document syncs) or `project:<id>` (uploaded for that project: a
-- contractor's fix photo, a floor plan, a tablet's photo sent with ?project=).
CREATE TABLE blob_owners (
    hash TEXT NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (hash, owner)
);

-- A share link lasts until its expiry (milliseconds, like its other
-- times); links made before expiries existed last 30 days from creation.
ALTER TABLE report_shares ADD COLUMN expires_at INTEGER;
UPDATE report_shares SET expires_at = created_at + 30 * 86400000;

-- Refusals of unknown links named no project and were shown to every CS
-- center: they are now only traced, never stored.
DELETE FROM link_refusals WHERE project IS NULL;
CREATE INDEX link_refusals_project ON link_refusals (project, id);
