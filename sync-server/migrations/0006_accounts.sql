-- Accounts and sessions: a temporary password (invited, reset) must be
-- changed before the account can do anything else; a sign-in ended by the
-- CS center (disable, enable, reset, role change) or by a password change
-- is kept as revoked, so the tablet can be told why, until it expires.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tokens_user ON tokens (user_id);
