-- Screen previews of photos (the tablet pipeline's preview, made once on
-- the server), sent to tablets that did not take the photo, so they keep a
-- preview for offline work instead of the camera original.
CREATE TABLE blob_previews (hash TEXT PRIMARY KEY, bytes BLOB NOT NULL);
