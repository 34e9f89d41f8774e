//! The tablet's store: one SQLite file (WAL) holding every document as a
//! snapshot plus incremental chunks, the read model, sync state and photo
//! metadata. Every document change and its read-model rows are written in one
//! transaction, so a crash at any point leaves either both or neither.

use crate::error::{Error, Result};
use automerge::{ActorId, AutoCommit, ChangeHash};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use walkthrough_core::doc::check::Writer;
use walkthrough_core::doc::{DocKey, ProjectDoc, UnitDoc};
use walkthrough_core::kpi::{unit_rows, UnitRows};
use walkthrough_core::model::Project;
use walkthrough_core::*;

/// Meta key of the device clock's offset from the server's, and the device
/// time it was measured at (`"offset_ms,device_ms"`).
const CLOCK_OFFSET: &str = "clock_offset";

/// How long (by the device's clock) a measured offset is trusted. A tablet
/// syncs at least daily; a longer gap, or a device clock that went back,
/// means the clock was probably set since (NTP after a restart, a person):
/// then the device's own clock is used until the next sync measures again.
pub const CLOCK_OFFSET_TRUSTED_DAYS: i64 = 7;

/// Chunks appended before a document is compacted into a new snapshot.
const COMPACT_AFTER: i64 = 64;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial", include_str!("../migrations/0001_initial.sql")),
    ("0002_offline", include_str!("../migrations/0002_offline.sql")),
];

pub struct Store {
    conn: Connection,
    actor: ActorId,
    /// Documents loaded in this process, by key.
    cache: HashMap<DocKey, AutoCommit>,
    projects: HashMap<ProjectId, Arc<Project>>,
    /// Who is writing: every unit edit is checked against what they may do
    /// (`walkthrough_core::doc::check`, the rule the server applies) before
    /// it is kept. None: not signed in (tests that build documents directly).
    writer: Option<Writer>,
}

/// One document's answer from the server: changes for us (possibly none)
/// and the heads the server now has.
#[derive(Clone, Debug)]
pub struct RemoteReply {
    pub key: DocKey,
    pub changes: Vec<u8>,
    pub server_heads: Vec<ChangeHash>,
}

/// What the sync client needs to know about one local document.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncInfo {
    pub heads: Vec<ChangeHash>,
    /// The heads the server was last known to have.
    pub server_heads: Vec<ChangeHash>,
    /// Local changes the server has not confirmed.
    pub dirty: bool,
}

pub fn heads_to_string(heads: &[ChangeHash]) -> String {
    heads.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",")
}

pub fn heads_from_string(s: &str) -> Vec<ChangeHash> {
    s.split(',').filter(|h| !h.is_empty()).filter_map(|h| h.parse().ok()).collect()
}

impl Store {
    /// Open (or create) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed transaction survives power loss, not just a crash.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        let actor = match get_meta(&conn, "actor")? {
            Some(hex) => ActorId::from(decode_hex(&hex).ok_or_else(|| Error::Damaged {
                doc: DocKey::Project(ProjectId::new("?")),
                detail: "the device id is not hex".into(),
            })?),
            None => {
                let actor = ActorId::random();
                set_meta(&conn, "actor", &actor.to_hex_string())?;
                actor
            }
        };
        Ok(Self { conn, actor, cache: HashMap::new(), projects: HashMap::new(), writer: None })
    }

    /// Sign `writer` in as the author of this tablet's edits. The server
    /// binds a device's Automerge actor to one user, so a tablet that
    /// another user signs in on takes a new actor for them.
    pub fn set_writer(&mut self, writer: Option<Writer>) -> Result<()> {
        if let Some(w) = &writer {
            match get_meta(&self.conn, "actor_user")? {
                Some(u) if u == w.user.as_str() => {}
                None => set_meta(&self.conn, "actor_user", w.user.as_str())?,
                Some(_) => {
                    let actor = ActorId::random();
                    let tx = self.conn.transaction()?;
                    set_meta(&tx, "actor", &actor.to_hex_string())?;
                    set_meta(&tx, "actor_user", w.user.as_str())?;
                    tx.commit()?;
                    self.actor = actor;
                    self.cache.clear();
                }
            }
        }
        self.writer = writer;
        Ok(())
    }

    /// This device's Automerge actor: every change made here carries it.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        get_meta(&self.conn, key)
    }

    /// The name this device gives the server with every sync: the one set
    /// here (`set_device_name`), else the OS hostname. None if it has none.
    pub fn device_name(&self) -> Result<Option<String>> {
        Ok(match get_meta(&self.conn, DEVICE_NAME_KEY)? {
            Some(n) => Some(n),
            None => os_hostname().as_deref().and_then(walkthrough_core::doc::writers::clean_device_name),
        })
    }

    /// Name this device (checked as the server checks it).
    pub fn set_device_name(&self, name: &str) -> Result<String> {
        let name = walkthrough_core::doc::writers::check_device_name(name)
            .map_err(|e| Error::Core(walkthrough_core::Error::Invalid(e)))?;
        set_meta(&self.conn, DEVICE_NAME_KEY, &name)?;
        Ok(name)
    }

    /// The names of the project's devices as the server last listed them (actor hex → name).
    pub fn device_names(&self) -> Result<std::collections::HashMap<String, String>> {
        let stored = get_meta(&self.conn, DEVICE_NAMES_KEY)?;
        Ok(stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }

    /// Keep the device names a manifest listed (merged with those known).
    pub fn set_device_names(&self, listed: &[walkthrough_core::wire::DeviceName]) -> Result<()> {
        if listed.is_empty() {
            return Ok(());
        }
        let mut names = self.device_names()?;
        names.extend(listed.iter().map(|d| (d.actor.clone(), d.name.clone())));
        let json = serde_json::to_string(&names)?;
        set_meta(&self.conn, DEVICE_NAMES_KEY, &json)
    }

    /// The server's clock at `device_now` as this tablet best knows it: the
    /// device's clock plus its offset from the server's measured at the last
    /// sync, while that offset is trusted (see [`CLOCK_OFFSET_TRUSTED_DAYS`]);
    /// else the device's clock. Events are dated by it, and the change
    /// checker on the tablet uses it as "now".
    pub fn server_time(&self, device_now: Time) -> Time {
        let measured = self.meta(CLOCK_OFFSET).ok().flatten().and_then(|v| {
            let (offset, at) = v.split_once(',')?;
            Some((offset.parse::<i64>().ok()?, walkthrough_core::time::from_millis(at.parse().ok()?)))
        });
        match measured {
            Some((offset, at))
                if device_now >= at && device_now - at <= chrono::Duration::days(CLOCK_OFFSET_TRUSTED_DAYS) =>
            {
                device_now + chrono::Duration::milliseconds(offset)
            }
            _ => device_now,
        }
    }

    /// Record the offset (server minus device, ms) measured at `device_now`.
    pub fn set_clock_offset(&self, offset_ms: i64, device_now: Time) -> Result<()> {
        self.set_meta(CLOCK_OFFSET, &format!("{offset_ms},{}", device_now.timestamp_millis()))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        set_meta(&self.conn, key, value)
    }

    /// Every document key in the store for `project`.
    pub fn doc_keys(&self, project: &ProjectId) -> Result<Vec<DocKey>> {
        let mut stmt = self.conn.prepare_cached("SELECT doc FROM docs WHERE project = ?1 ORDER BY doc")?;
        let keys = stmt
            .query_map([project.as_str()], |r| r.get::<_, String>(0))?
            .filter_map(|k| k.ok().and_then(|k| DocKey::parse(&k)))
            .collect();
        Ok(keys)
    }

    pub fn has_doc(&self, key: &DocKey) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM docs WHERE doc = ?1", [key.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The document, loaded from the store (and cached).
    fn doc(&mut self, key: &DocKey) -> Result<&mut AutoCommit> {
        if !self.cache.contains_key(key) {
            let doc = load_doc(&self.conn, key)?.ok_or_else(|| Error::NoDocument(key.clone()))?;
            self.cache.insert(key.clone(), doc);
        }
        let doc = self.cache.get_mut(key).expect("just inserted");
        doc.set_actor(self.actor.clone());
        Ok(doc)
    }

    /// The project, read from its document (cached until it changes).
    pub fn project(&mut self, id: &ProjectId) -> Result<Arc<Project>> {
        if let Some(p) = self.projects.get(id) {
            return Ok(p.clone());
        }
        let key = DocKey::Project(id.clone());
        if !self.has_doc(&key)? {
            return Err(Error::NoProject(id.clone()));
        }
        let doc = self.doc(&key)?.clone();
        let project = Arc::new(ProjectDoc::from_automerge(doc)?.read()?);
        self.projects.insert(id.clone(), project.clone());
        Ok(project)
    }

    /// Read a unit into the model.
    pub fn unit(&mut self, project: &ProjectId, unit: &UnitId) -> Result<walkthrough_core::doc::UnitRecord> {
        let key = DocKey::Unit(project.clone(), unit.clone());
        self.with_unit_doc(&key, |d| d.read())?.map_err(Error::from)
    }

    /// Read a unit with who wrote each defect and event (`UnitDoc::writers`).
    pub fn unit_with_writers(
        &mut self,
        project: &ProjectId,
        unit: &UnitId,
    ) -> Result<(walkthrough_core::doc::UnitRecord, walkthrough_core::doc::writers::Writers)> {
        let key = DocKey::Unit(project.clone(), unit.clone());
        let (record, writers) = self.with_unit_doc(&key, |d| (d.read(), d.writers()))?;
        Ok((record?, writers?))
    }

    /// Lend the cached document to `f` as a `UnitDoc`: moved out of the cache
    /// and back, never copied.
    fn with_unit_doc<T>(&mut self, key: &DocKey, f: impl FnOnce(&mut UnitDoc) -> T) -> Result<T> {
        self.doc(key)?;
        let doc = self.cache.remove(key).expect("loaded by doc()");
        let mut unit_doc = UnitDoc::from_automerge(doc)?;
        let value = f(&mut unit_doc);
        self.cache.insert(key.clone(), unit_doc.into_automerge());
        Ok(value)
    }

    /// Change a unit's document: `edit` runs on the document, then the new
    /// changes and the unit's read-model rows are stored in one transaction.
    /// If `edit` fails nothing is stored and the document is as before.
    pub fn edit_unit<T>(
        &mut self,
        project: &ProjectId,
        unit: &UnitId,
        edit: impl FnOnce(&mut UnitDoc) -> walkthrough_core::Result<T>,
    ) -> Result<T> {
        let key = DocKey::Unit(project.clone(), unit.clone());
        if !self.has_doc(&key)? {
            // A unit of a synced project that nobody has touched yet starts
            // from its deterministic genesis, identical on every device.
            let mut genesis = UnitDoc::genesis(project, unit).into_automerge();
            let bytes = genesis.save();
            let tx = self.conn.transaction()?;
            insert_doc(&tx, &key, &bytes, &genesis.get_heads())?;
            tx.commit()?;
        }
        let project_model = self.project(project)?;
        self.doc(&key)?;
        let mut unit_doc = UnitDoc::from_automerge(self.cache.remove(&key).expect("loaded by doc()"))?;
        // On failure the document is dropped from the cache, so the next use
        // reloads it from disk as it was: a failed edit leaves no trace.
        let before = unit_doc.heads();
        let value = edit(&mut unit_doc)?;
        if let Some(w) = &self.writer {
            // The server's rule, applied here first: an honest tablet never
            // sends a change the server would refuse.
            unit_doc
                .check_changes_since(&before, w, self.server_time(chrono::Utc::now()))
                .map_err(|why| walkthrough_core::Error::Invalid(format!("this change cannot be kept: {why}")))?;
        }
        let rows = unit_rows(&project_model, &unit_doc.read()?);
        let mut doc = unit_doc.into_automerge();
        let chunk = doc.save_incremental();
        let tx = self.conn.transaction()?;
        append_chunk(&tx, &key, &chunk, &doc.get_heads(), true)?;
        write_rows(&tx, project, unit, &rows)?;
        tx.commit()?;
        self.cache.insert(key.clone(), doc);
        self.maybe_compact(&key)?;
        Ok(value)
    }

    /// Merge changes that arrived from the server (`load_incremental` bytes:
    /// a saved document or changes after some heads) into a document, and
    /// store it with its read model. Applying the same bytes twice is a no-op.
    pub fn apply_remote(&mut self, key: &DocKey, bytes: &[u8], server_heads: &[ChangeHash]) -> Result<()> {
        self.apply_replies(&[RemoteReply {
            key: key.clone(),
            changes: bytes.to_vec(),
            server_heads: server_heads.to_vec(),
        }])
    }

    /// Apply a batch of server replies (changes, possibly empty, and the
    /// server's heads) in one transaction: documents, read model and sync
    /// state together. On failure nothing is stored and the affected
    /// documents are reloaded from disk on next use.
    pub fn apply_replies(&mut self, replies: &[RemoteReply]) -> Result<()> {
        struct Prepared {
            key: DocKey,
            doc: AutoCommit,
            write: Option<(bool, Vec<u8>)>,
            heads: Vec<ChangeHash>,
            server_heads: Vec<ChangeHash>,
            dirty: bool,
            rows: Option<UnitRows>,
        }
        let mut prepared: Vec<Prepared> = Vec::with_capacity(replies.len());
        let mut projects_changed = Vec::new();
        let result =
            (|| -> Result<()> {
                for r in replies {
                    let key = &r.key;
                    let present = self.has_doc(key)?;
                    if !present && r.changes.is_empty() {
                        continue; // nothing here and nothing sent: nothing to record
                    }
                    let mut doc = if present {
                        self.doc(key)?;
                        self.cache.remove(key).expect("loaded by doc()")
                    } else {
                        AutoCommit::new()
                    };
                    let before = doc.get_heads();
                    if !r.changes.is_empty() {
                        if let Err(e) = doc.load_incremental(&r.changes) {
                            return Err(Error::Damaged { doc: key.clone(), detail: e.to_string() });
                        }
                    }
                    let heads = doc.get_heads();
                    let dirty_before = self.sync_info(key)?.is_some_and(|i| i.dirty);
                    // Still dirty if we hold changes the server did not list.
                    let dirty = dirty_before && !heads.iter().all(|h| r.server_heads.contains(h));
                    let write = if !present {
                        Some((true, doc.save()))
                    } else if before != heads {
                        Some((false, doc.save_incremental()))
                    } else {
                        None
                    };
                    let mut rows = None;
                    match key {
                        DocKey::Project(p) if write.is_some() => {
                            // Later units of this batch are computed against it.
                            let model = ProjectDoc::from_automerge(doc.clone())?.read()?;
                            self.projects.insert(p.clone(), Arc::new(model));
                            projects_changed.push(p.clone());
                        }
                        DocKey::Unit(p, _) if write.is_some() => {
                            // The project may not be here yet on a first sync; the
                            // rows are then written when it arrives.
                            if let Ok(project) = self.project(p) {
                                let unit_doc = UnitDoc::from_automerge(doc)?;
                                rows = Some(unit_rows(&project, &unit_doc.read()?));
                                doc = unit_doc.into_automerge();
                            }
                        }
                        _ => {}
                    }
                    prepared.push(Prepared {
                        key: key.clone(),
                        doc,
                        write,
                        heads,
                        server_heads: r.server_heads.clone(),
                        dirty,
                        rows,
                    });
                }
                let tx = self.conn.transaction()?;
                for p in &prepared {
                    match &p.write {
                        Some((true, bytes)) => insert_doc(&tx, &p.key, bytes, &p.heads)?,
                        Some((false, chunk)) => append_chunk(&tx, &p.key, chunk, &p.heads, false)?,
                        None => {}
                    }
                    tx.prepare_cached("UPDATE docs SET server_heads = ?2, dirty = ?3 WHERE doc = ?1")?
                        .execute(params![p.key.to_string(), heads_to_string(&p.server_heads), p.dirty])?;
                    if let (Some(rows), DocKey::Unit(project, unit)) = (&p.rows, &p.key) {
                        write_rows(&tx, project, unit, rows)?;
                    }
                }
                tx.commit()?;
                Ok(())
            })();
        if let Err(e) = result {
            // Drop what was half-applied in memory; disk is as it was.
            for p in prepared {
                self.cache.remove(&p.key);
            }
            self.projects.clear();
            return Err(e);
        }
        let keys: Vec<DocKey> = prepared.iter().filter(|p| p.write.is_some()).map(|p| p.key.clone()).collect();
        for p in prepared {
            self.cache.insert(p.key, p.doc);
        }
        for p in projects_changed {
            self.rebuild_read_model(&p)?;
        }
        for key in keys {
            self.maybe_compact(&key)?;
        }
        Ok(())
    }

    /// Recompute every unit's rows of a project (after its standards change).
    pub fn rebuild_read_model(&mut self, project: &ProjectId) -> Result<()> {
        let model = self.project(project)?;
        let units: Vec<DocKey> =
            self.doc_keys(project)?.into_iter().filter(|k| matches!(k, DocKey::Unit(..))).collect();
        let mut all = Vec::new();
        for key in &units {
            let DocKey::Unit(_, u) = key else { continue };
            let rec = self.with_unit_doc(key, |d| d.read())??;
            all.push((u.clone(), unit_rows(&model, &rec)));
        }
        let tx = self.conn.transaction()?;
        for (u, rows) in &all {
            write_rows(&tx, project, u, rows)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Record that the server has confirmed these heads for a document.
    pub fn mark_synced(&mut self, key: &DocKey, server_heads: &[ChangeHash]) -> Result<()> {
        self.apply_replies(&[RemoteReply {
            key: key.clone(),
            changes: Vec::new(),
            server_heads: server_heads.to_vec(),
        }])
    }

    pub fn sync_info(&self, key: &DocKey) -> Result<Option<SyncInfo>> {
        Ok(self
            .conn
            .query_row("SELECT heads, server_heads, dirty FROM docs WHERE doc = ?1", [key.to_string()], |r| {
                Ok(SyncInfo {
                    heads: heads_from_string(&r.get::<_, String>(0)?),
                    server_heads: heads_from_string(&r.get::<_, String>(1)?),
                    dirty: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Documents with local changes the server has not confirmed.
    pub fn dirty_docs(&self, project: &ProjectId) -> Result<Vec<DocKey>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT doc FROM docs WHERE project = ?1 AND dirty = 1 ORDER BY doc")?;
        let keys = stmt
            .query_map([project.as_str()], |r| r.get::<_, String>(0))?
            .filter_map(|k| k.ok().and_then(|k| DocKey::parse(&k)))
            .collect();
        Ok(keys)
    }

    /// The bytes to send the server: changes after `since` (all of it when
    /// `since` is empty or not known here).
    pub fn changes_since(&mut self, key: &DocKey, since: &[ChangeHash]) -> Result<Vec<u8>> {
        let doc = self.doc(key)?;
        let known = since.iter().all(|h| doc.get_change_by_hash(h).is_some());
        Ok(if since.is_empty() || !known { doc.save() } else { doc.save_after(since) })
    }

    pub fn heads(&mut self, key: &DocKey) -> Result<Vec<ChangeHash>> {
        Ok(self.doc(key)?.get_heads())
    }

    fn maybe_compact(&mut self, key: &DocKey) -> Result<()> {
        let chunks: i64 =
            self.conn.query_row("SELECT COUNT(*) FROM doc_chunks WHERE doc = ?1", [key.to_string()], |r| r.get(0))?;
        if chunks < COMPACT_AFTER {
            return Ok(());
        }
        let doc = self.doc(key)?;
        let bytes = doc.save();
        let tx = self.conn.transaction()?;
        tx.prepare_cached("UPDATE docs SET snapshot = ?2 WHERE doc = ?1")?.execute(params![key.to_string(), bytes])?;
        tx.prepare_cached("DELETE FROM doc_chunks WHERE doc = ?1")?.execute([key.to_string()])?;
        tx.commit()?;
        Ok(())
    }

    /// Defect rows of a unit as the read model holds them (for lists).
    pub fn defect_rows(&self, project: &ProjectId, unit: &UnitId) -> Result<Vec<walkthrough_core::kpi::DefectRow>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT row FROM rm_defects WHERE project = ?1 AND unit = ?2 ORDER BY id")?;
        let rows = stmt
            .query_map([project.as_str(), unit.as_str()], |r| r.get::<_, String>(0))?
            .map(|r| Ok(serde_json::from_str(&r?)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every read-model row of a project: what reports are computed from.
    pub fn report_rows(&self, project: &ProjectId) -> Result<UnitRows> {
        fn all<T: serde::de::DeserializeOwned>(conn: &Connection, sql: &str, project: &ProjectId) -> Result<Vec<T>> {
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map([project.as_str()], |r| r.get::<_, String>(0))?;
            rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
        }
        Ok(UnitRows {
            defects: all(&self.conn, "SELECT row FROM rm_defects WHERE project = ?1 ORDER BY unit, id", project)?,
            rechecks: all(&self.conn, "SELECT row FROM rm_rechecks WHERE project = ?1 ORDER BY unit, defect", project)?,
            rounds: all(&self.conn, "SELECT row FROM rm_unit_rounds WHERE project = ?1 ORDER BY unit, round", project)?,
            // The tablet reads words and photos from its documents.
            details: Vec::new(),
        })
    }

    /// Status of every unit of a project in a round, from the read model.
    pub fn unit_statuses(
        &self,
        project: &ProjectId,
        round: RoundNo,
    ) -> Result<HashMap<UnitId, walkthrough_core::rules::UnitStatus>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT unit, row FROM rm_unit_rounds WHERE project = ?1 AND round = ?2")?;
        let rows = stmt
            .query_map(params![project.as_str(), round.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .map(|r| {
                let (u, json) = r?;
                let row: walkthrough_core::kpi::UnitRoundRow = serde_json::from_str(&json)?;
                Ok((UnitId::new(u), row.status))
            })
            .collect::<Result<HashMap<_, _>>>()?;
        Ok(rows)
    }

    /// Defects still open per unit, among those found up to `round`.
    pub fn open_defect_counts(&self, project: &ProjectId, round: RoundNo) -> Result<HashMap<UnitId, u32>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT unit, count(*) FROM rm_defects WHERE project = ?1 AND found_round <= ?2 \
             AND status NOT IN ('verified', 'accepted_risk', 'withdrawn') GROUP BY unit",
        )?;
        let rows = stmt
            .query_map(params![project.as_str(), round.0], |r| Ok((UnitId::new(r.get::<_, String>(0)?), r.get(1)?)))?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(rows)
    }

    /// Record a photo taken into the photo directory; it waits for upload.
    pub fn record_photo(&self, p: &crate::photos::Ingested) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO photos (hash, mime, width, height, bytes, uploaded, added_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, datetime('now'))",
            params![p.hash.as_str(), p.mime, p.width, p.height, p.bytes as i64],
        )?;
        Ok(())
    }

    /// Photos not yet on the server.
    pub fn pending_photos(&self) -> Result<Vec<PhotoHash>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT hash FROM photos WHERE uploaded = 0 ORDER BY added_at, hash")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(PhotoHash::new).collect())
    }

    pub fn mark_photo_uploaded(&self, hash: &PhotoHash) -> Result<()> {
        self.conn.execute("UPDATE photos SET uploaded = 1 WHERE hash = ?1", [hash.as_str()])?;
        Ok(())
    }

    /// Replace the list of files to hold for offline work with `wanted`
    /// (one planning pass). Files still wanted keep their state; files no
    /// longer wanted are forgotten, and those held are returned so that
    /// their downloaded copies can be deleted.
    pub fn plan_offline(&mut self, wanted: &[crate::offline::Wanted]) -> Result<Vec<PhotoHash>> {
        let tx = self.conn.transaction()?;
        let gen: i64 = get_meta(&tx, "offline_gen")?.and_then(|g| g.parse().ok()).unwrap_or(0) + 1;
        set_meta(&tx, "offline_gen", &gen.to_string())?;
        {
            let mut up = tx.prepare_cached(
                "INSERT INTO offline_files (hash, kind, priority, gen) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (hash) DO UPDATE SET priority = excluded.priority, gen = excluded.gen,
                 state = CASE WHEN state = 'missing' THEN 'wanted' ELSE state END",
            )?;
            for w in wanted {
                up.execute(params![w.hash.as_str(), w.kind.as_str(), w.priority, gen])?;
            }
        }
        let stale: Vec<PhotoHash> = tx
            .prepare_cached("SELECT hash FROM offline_files WHERE gen < ?1 AND state = 'held' AND bytes > 0")?
            .query_map([gen], |r| r.get::<_, String>(0))?
            .map(|h| h.map(PhotoHash::new))
            .collect::<rusqlite::Result<_>>()?;
        tx.execute("DELETE FROM offline_files WHERE gen < ?1", [gen])?;
        tx.commit()?;
        Ok(stale)
    }

    /// Files wanted for offline work and not held yet, most needed first.
    pub fn offline_todo(&self) -> Result<Vec<(PhotoHash, crate::offline::FileKind)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash, kind FROM offline_files WHERE state != 'held' ORDER BY priority, kind DESC, hash",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .map(|r| r.map(|(h, k)| (PhotoHash::new(h), crate::offline::FileKind::parse(&k))))
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// How far one file got: `held` with the bytes it takes, `over_budget`
    /// or `missing`.
    pub fn offline_record(&self, hash: &PhotoHash, state: &str, bytes: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE offline_files SET state = ?2, bytes = ?3 WHERE hash = ?1",
            params![hash.as_str(), state, bytes as i64],
        )?;
        Ok(())
    }

    /// Where a file stands for offline work (None: not wanted).
    pub fn offline_state(&self, hash: &PhotoHash) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT state FROM offline_files WHERE hash = ?1", [hash.as_str()], |r| r.get(0))
            .optional()?)
    }

    /// Files wanted, held, over the budget and missing, and the bytes held.
    pub fn offline_counts(&self) -> Result<crate::offline::Counts> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(state = 'held'), 0), COALESCE(SUM(state = 'over_budget'), 0),
                    COALESCE(SUM(state = 'missing'), 0), COALESCE(SUM(bytes), 0) FROM offline_files",
            [],
            |r| {
                Ok(crate::offline::Counts {
                    wanted: r.get::<_, i64>(0)? as u64,
                    held: r.get::<_, i64>(1)? as u64,
                    over_budget: r.get::<_, i64>(2)? as u64,
                    missing: r.get::<_, i64>(3)? as u64,
                    bytes: r.get::<_, i64>(4)? as u64,
                })
            },
        )?)
    }

    /// Remember that the inspector opened a unit (it is then prepared for
    /// offline work like an assigned one).
    pub fn mark_opened(&self, project: &ProjectId, unit: &UnitId) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO opened_units (project, unit) VALUES (?1, ?2)",
            [project.as_str(), unit.as_str()],
        )?;
        Ok(())
    }

    pub fn opened_units(&self, project: &ProjectId) -> Result<Vec<UnitId>> {
        let mut stmt = self.conn.prepare_cached("SELECT unit FROM opened_units WHERE project = ?1 ORDER BY unit")?;
        let rows = stmt.query_map([project.as_str()], |r| r.get::<_, String>(0))?;
        Ok(rows.map(|u| u.map(UnitId::new)).collect::<rusqlite::Result<_>>()?)
    }

    /// Count of stored chunks (for tests of compaction).
    pub fn chunk_count(&self, key: &DocKey) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM doc_chunks WHERE doc = ?1", [key.to_string()], |r| r.get(0))?)
    }

    /// Forget the in-memory cache (the next read comes from disk).
    pub fn clear_cache(&mut self) {
        self.cache.clear();
        self.projects.clear();
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
    for (name, sql) in MIGRATIONS {
        let done = conn.query_row("SELECT 1 FROM migrations WHERE name = ?1", [name], |_| Ok(())).optional()?.is_some();
        if !done {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.prepare_cached("INSERT INTO migrations (name, applied_at) VALUES (?1, datetime('now'))")?
                .execute([name])?;
            tx.commit()?;
        }
    }
    Ok(())
}

const DEVICE_NAME_KEY: &str = "device_name";
const DEVICE_NAMES_KEY: &str = "device_names";

/// The OS hostname (Linux and Android: the kernel's; elsewhere the usual
/// variables).
fn os_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
}

fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

fn insert_doc(tx: &Transaction<'_>, key: &DocKey, snapshot: &[u8], heads: &[ChangeHash]) -> Result<()> {
    let kind = match key {
        DocKey::Project(_) => "project",
        DocKey::Unit(..) => "unit",
    };
    tx.prepare_cached("INSERT INTO docs (doc, project, kind, snapshot, heads, server_heads, dirty) VALUES (?1, ?2, ?3, ?4, ?5, '', 0)")?.execute(
        params![key.to_string(), key.project().as_str(), kind, snapshot, heads_to_string(heads)],
    )?;
    Ok(())
}

fn append_chunk(tx: &Transaction<'_>, key: &DocKey, chunk: &[u8], heads: &[ChangeHash], dirty: bool) -> Result<()> {
    if !chunk.is_empty() {
        tx.prepare_cached("INSERT INTO doc_chunks (doc, seq, bytes) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_chunks WHERE doc = ?1), ?2)")?.execute(
            params![key.to_string(), chunk],
        )?;
    }
    tx.prepare_cached("UPDATE docs SET heads = ?2, dirty = CASE WHEN ?3 THEN 1 ELSE dirty END WHERE doc = ?1")?
        .execute(params![key.to_string(), heads_to_string(heads), dirty])?;
    Ok(())
}

fn load_doc(conn: &Connection, key: &DocKey) -> Result<Option<AutoCommit>> {
    let snapshot: Option<Vec<u8>> =
        conn.query_row("SELECT snapshot FROM docs WHERE doc = ?1", [key.to_string()], |r| r.get(0)).optional()?;
    let Some(snapshot) = snapshot else { return Ok(None) };
    let damaged = |e: automerge::AutomergeError| Error::Damaged { doc: key.clone(), detail: e.to_string() };
    // Our own storage: the hashes were verified when the changes arrived.
    let mut doc = AutoCommit::load_unverified_heads(&snapshot).map_err(damaged)?;
    let mut stmt = conn.prepare_cached("SELECT bytes FROM doc_chunks WHERE doc = ?1 ORDER BY seq")?;
    let chunks = stmt.query_map([key.to_string()], |r| r.get::<_, Vec<u8>>(0))?;
    for chunk in chunks {
        doc.load_incremental(&chunk?).map_err(damaged)?;
    }
    Ok(Some(doc))
}

fn write_rows(tx: &Transaction<'_>, project: &ProjectId, unit: &UnitId, rows: &UnitRows) -> Result<()> {
    let (p, u) = (project.as_str(), unit.as_str());
    tx.prepare_cached("DELETE FROM rm_defects WHERE project = ?1 AND unit = ?2")?.execute([p, u])?;
    tx.prepare_cached("DELETE FROM rm_rechecks WHERE project = ?1 AND unit = ?2")?.execute([p, u])?;
    tx.prepare_cached("DELETE FROM rm_unit_rounds WHERE project = ?1 AND unit = ?2")?.execute([p, u])?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO rm_defects (project, unit, id, status, contractor, found_round, row) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for d in &rows.defects {
        ins.execute(params![
            p,
            u,
            d.id.to_string(),
            d.status.as_str(),
            d.contractor.as_ref().map(|c| c.as_str()),
            d.found_round.0,
            serde_json::to_string(d)?
        ])?;
    }
    let mut ins =
        tx.prepare_cached("INSERT INTO rm_rechecks (project, unit, defect, round, row) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for r in &rows.rechecks {
        ins.execute(params![p, u, r.defect.to_string(), r.round.0, serde_json::to_string(r)?])?;
    }
    let mut ins = tx
        .prepare_cached("INSERT INTO rm_unit_rounds (project, unit, round, status, row) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for r in &rows.rounds {
        ins.execute(params![p, u, r.round.0, r.status.as_str(), serde_json::to_string(r)?])?;
    }
    Ok(())
}
