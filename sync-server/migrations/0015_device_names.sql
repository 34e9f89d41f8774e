-- The name each device gives itself (its hostname unless set), sent with
-- every sync, so histories and the device list say "li-tablet · 3fa2c1"
-- rather than an actor id alone. Older rows have none: they show the id.
ALTER TABLE device_actors ADD COLUMN name TEXT;
