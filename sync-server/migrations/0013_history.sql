-- One history for every act on a project (setup, people, dispatch,
-- reassignment, contractor links, robots, risks, reports): what kind of act
-- it is, and its particulars as JSON (old and new values where there are
-- some), so the console can filter it and say it in either language.
ALTER TABLE audit_log ADD COLUMN kind TEXT NOT NULL DEFAULT 'setup';
ALTER TABLE audit_log ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
CREATE INDEX audit_log_kind ON audit_log (project, kind, id);
