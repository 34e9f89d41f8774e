-- Each device's Automerge actor is bound to the one user it writes for
-- (the first user it wrote for). A change by an actor bound to another user
-- is refused, and the history can say which device wrote what.
CREATE TABLE device_actors (
    actor TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    project TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    changes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX device_actors_project ON device_actors (project, user_id);
