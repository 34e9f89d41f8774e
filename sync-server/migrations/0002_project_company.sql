-- Which company each project belongs to: CS-center accounts see every
-- project of their company.
CREATE TABLE projects (project TEXT PRIMARY KEY, company TEXT NOT NULL);
