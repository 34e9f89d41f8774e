-- Issue 16: the contractor's page reads its list and checks its photos
-- from the read model, never from unit documents.

-- The contractor whose rectification list holds the defect
-- (`DefectRow::listed_for`: dispatched to them, not withdrawn).
ALTER TABLE rm_defects ADD COLUMN listed_for TEXT;
CREATE INDEX rm_defects_listed ON rm_defects (project, listed_for);

-- Each defect's photos and the evidence photos sent with "fixed" reports,
-- replaced with the unit's other read-model rows: a contractor may read a
-- photo of a defect on their list (one indexed lookup).
CREATE TABLE rm_defect_photos (
    project TEXT NOT NULL,
    unit TEXT NOT NULL,
    defect TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (project, defect, hash)
);
CREATE INDEX rm_defect_photos_hash ON rm_defect_photos (project, hash);
CREATE INDEX rm_defect_photos_unit ON rm_defect_photos (project, unit);

-- Derive every stored project's rows again (the new column, the new table,
-- and the rows' new fields: assigned, responsible, attempts' reports and rounds).
INSERT OR IGNORE INTO read_model_rebuild SELECT DISTINCT project FROM docs WHERE kind = 'unit';
