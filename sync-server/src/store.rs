//! Storage behind a small trait. The SQLite implementation is the embedded
//! default; a PostgreSQL one (a later issue) implements the same trait, and
//! nothing backend-specific leaks into the handlers.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;
use walkthrough_core::doc::DocKey;
use walkthrough_core::kpi::UnitRows;
use walkthrough_core::model::Role;
use walkthrough_core::wire::HistoryEntry;
use walkthrough_core::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Other(String),
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub company: String,
    pub password_hash: String,
    pub disabled: bool,
}

/// A sign-in as stored: whose, until when, and whether it was ended.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenState {
    pub user: UserId,
    pub expires_at: i64,
    pub revoked: bool,
}

/// A stored document: its snapshot and the chunks appended since.
pub struct StoredDoc {
    pub snapshot: Vec<u8>,
    pub chunks: Vec<Vec<u8>>,
}

/// What one accepted document change writes, all in one transaction.
pub struct DocWrite<'a> {
    pub key: &'a DocKey,
    /// New document: its full bytes; existing: the incremental chunk.
    pub bytes: &'a [u8],
    pub is_new: bool,
    pub heads: &'a str,
    /// Replace the unit's read-model rows with these.
    pub rows: Option<&'a UnitRows>,
}

/// (Dispatch, links and the outbox are in `crate::dispatch_store`.)
pub trait Store:
    crate::dispatch_store::DispatchStore
    + crate::report_store::ReportStore
    + crate::observe::OpsStore
    + Send
    + Sync
    + 'static
{
    fn create_user(&self, user: &User, projects: &[ProjectId]) -> StoreResult<()>;
    fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>>;
    fn user_projects(&self, id: &UserId) -> StoreResult<Vec<ProjectId>>;
    fn insert_token(&self, token_hash: &str, user: &UserId, expires_at: i64) -> StoreResult<()>;
    /// End every sign-in of the user (password reset, disabled, enabled,
    /// role changed). The tokens stay, marked revoked, until they expire.
    fn revoke_tokens(&self, user: &UserId) -> StoreResult<()>;
    /// End every sign-in of the user but the one with `keep` (a password change).
    fn revoke_other_tokens(&self, user: &UserId, keep: &str) -> StoreResult<()>;
    /// Forget one sign-in (sign-out).
    fn delete_token(&self, token_hash: &str) -> StoreResult<()>;
    /// A token's user, expiry and whether it was revoked.
    fn token_state(&self, token_hash: &str) -> StoreResult<Option<TokenState>>;
    /// The account's password is temporary and must be changed first.
    fn must_change_password(&self, user: &UserId) -> StoreResult<bool>;
    fn set_must_change_password(&self, user: &UserId, must: bool) -> StoreResult<()>;
    fn set_password_hash(&self, user: &UserId, hash: &str) -> StoreResult<()>;
    fn set_disabled(&self, user: &UserId, disabled: bool) -> StoreResult<()>;
    /// Accounts with `project` in their scope.
    fn project_users(&self, project: &ProjectId) -> StoreResult<Vec<User>>;
    /// Record an act on a project (see `setup::record`).
    fn add_history(&self, project: &ProjectId, entry: &HistoryEntry) -> StoreResult<()>;
    /// The recorded acts of a project, newest first.
    fn history(&self, project: &ProjectId) -> StoreResult<Vec<HistoryEntry>>;
    /// The user of a token, with its expiry.
    fn token_user(&self, token_hash: &str) -> StoreResult<Option<(UserId, i64)>>;

    fn load_doc(&self, key: &DocKey) -> StoreResult<Option<StoredDoc>>;
    /// Store a document change; returns the project's new change counter.
    fn write_doc(&self, write: &DocWrite<'_>) -> StoreResult<u64> {
        self.write_docs(std::slice::from_ref(write))
    }
    /// Store several document changes in one transaction (one sync request:
    /// all of it or none of it); returns the project's new change counter.
    fn write_docs(&self, writes: &[DocWrite<'_>]) -> StoreResult<u64>;
    /// Replace a document by a compacted snapshot (same content).
    fn compact_doc(&self, key: &DocKey, snapshot: &[u8]) -> StoreResult<()>;
    /// Documents of a project changed after `cursor`, with their heads, and
    /// the project's counter now.
    fn changed_since(&self, project: &ProjectId, cursor: u64) -> StoreResult<(u64, Vec<(DocKey, String)>)>;
    fn projects(&self) -> StoreResult<Vec<ProjectId>>;
    fn set_project_company(&self, project: &ProjectId, company: &CompanyId) -> StoreResult<()>;
    fn company_projects(&self, company: &str) -> StoreResult<Vec<ProjectId>>;

    fn put_blob(&self, hash: &PhotoHash, mime: &str, bytes: &[u8]) -> StoreResult<bool>;
    fn get_blob(&self, hash: &PhotoHash) -> StoreResult<Option<(String, Vec<u8>)>>;
    /// Record who a blob was uploaded by or for (`user:<id>`, `project:<id>`).
    fn add_blob_owner(&self, hash: &PhotoHash, owner: &str) -> StoreResult<()>;
    /// Whether `user` (with `projects` in scope) may read the blob: it
    /// uploaded it, or it was uploaded for one of those projects, or a
    /// defect of one of them shows it. (Floor plans are checked by the
    /// caller against the project models.)
    fn blob_in_scope(&self, hash: &PhotoHash, user: &UserId, projects: &[ProjectId]) -> StoreResult<bool>;

    /// Unit-round rows of a project (progress against the round plans).
    fn unit_round_rows(&self, project: &ProjectId) -> StoreResult<Vec<walkthrough_core::kpi::UnitRoundRow>>;

    /// Read-model rows of a project (for reports and dispatch).
    fn defect_rows(&self, project: &ProjectId) -> StoreResult<Vec<walkthrough_core::kpi::DefectRow>>;

    /// Counted rechecks of a project (for reports).
    fn recheck_rows(&self, project: &ProjectId) -> StoreResult<Vec<walkthrough_core::kpi::RecheckRow>>;

    /// The users the given Automerge actors (hex) are bound to.
    fn actor_users(&self, actors: &[String]) -> StoreResult<Vec<(String, UserId)>>;
    /// Bind actors to `user` (a first sight) and count their changes.
    fn bind_actors(&self, project: &ProjectId, user: &UserId, actors: &[(String, u64)], now_ms: i64)
        -> StoreResult<()>;
    /// The devices that wrote in a project: (actor, user, first seen, last seen, changes), newest first.
    fn project_devices(&self, project: &ProjectId) -> StoreResult<Vec<DeviceActor>>;
    /// A device says its name as it syncs: bind `actor` to `user` if it is
    /// new, record `name` and the time seen; an actor bound to another user
    /// is left as it is.
    fn name_device(
        &self,
        project: &ProjectId,
        user: &UserId,
        actor: &str,
        name: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<()>;
    /// The names of the given devices (actor hex → name), for those that gave one.
    fn device_names(&self, actors: &[String]) -> StoreResult<std::collections::HashMap<String, String>>;
}

/// One device (Automerge actor) and the user it writes for.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceActor {
    pub actor: String,
    pub user: UserId,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub changes: u64,
    /// The name the device gave, if it did (older rows have none).
    pub name: Option<String>,
    /// "li-tablet · 3fa2c1", or the short id alone (`doc::writers::device_label`);
    /// empty for the server's own actors.
    pub label: String,
    /// One of the server's own actors (its edits for the console and
    /// contractors' links), not a device.
    pub server: bool,
}

/// How many devices that have not written yet one user may have recorded
/// per project (a new tablet is recorded at its first sync, before it writes).
pub const MAX_UNUSED_DEVICES_PER_USER: i64 = 8;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial", include_str!("../migrations/0001_initial.sql")),
    ("0002_project_company", include_str!("../migrations/0002_project_company.sql")),
    ("0003_console", include_str!("../migrations/0003_console.sql")),
    ("0004_dispatch", include_str!("../migrations/0004_dispatch.sql")),
    ("0005_reports", include_str!("../migrations/0005_reports.sql")),
    ("0006_accounts", include_str!("../migrations/0006_accounts.sql")),
    ("0007_web_scope", include_str!("../migrations/0007_web_scope.sql")),
    ("0008_device_actors", include_str!("../migrations/0008_device_actors.sql")),
    ("0009_previews", include_str!("../migrations/0009_previews.sql")),
    ("0012_channels", include_str!("../migrations/0012_channels.sql")),
    ("0013_history", include_str!("../migrations/0013_history.sql")),
    ("0014_contractor_page", include_str!("../migrations/0014_contractor_page.sql")),
    ("0015_device_names", include_str!("../migrations/0015_device_names.sql")),
];

pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// A second, read-only connection for the large reads of reports (the
    /// whole read model of a project), so that sync — on `conn` — is not
    /// kept waiting behind them (WAL lets readers and a writer overlap).
    reader: Mutex<Connection>,
    /// The database file (health checks open it afresh).
    pub(crate) path: std::path::PathBuf,
}

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        for (name, sql) in MIGRATIONS {
            let done =
                conn.query_row("SELECT 1 FROM migrations WHERE name = ?1", [name], |_| Ok(())).optional()?.is_some();
            if !done {
                let tx = conn.transaction()?;
                tx.execute_batch(sql)?;
                tx.execute("INSERT INTO migrations (name, applied_at) VALUES (?1, datetime('now'))", [name])?;
                tx.commit()?;
            }
        }
        let reader = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Self { conn: Mutex::new(conn), reader: Mutex::new(reader), path: path.to_owned() })
    }

    /// The read-only connection for report-sized reads.
    pub(crate) fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every
        // write is a transaction), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn role_str(r: Role) -> &'static str {
    match r {
        Role::CsAdmin => "cs_admin",
        Role::Inspector => "inspector",
        Role::Engineer => "engineer",
        Role::Contractor => "contractor",
    }
}

fn parse_role(s: &str) -> Role {
    match s {
        "cs_admin" => Role::CsAdmin,
        "inspector" => Role::Inspector,
        "engineer" => Role::Engineer,
        _ => Role::Contractor,
    }
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: UserId::new(r.get::<_, String>(0)?),
        username: r.get(1)?,
        name: r.get(2)?,
        role: parse_role(&r.get::<_, String>(3)?),
        company: r.get(4)?,
        password_hash: r.get(5)?,
        disabled: r.get(6)?,
    })
}

impl Store for SqliteStore {
    fn create_user(&self, u: &User, projects: &[ProjectId]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO users (id, username, name, role, company, password_hash, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET username = excluded.username, name = excluded.name, role = excluded.role,
               company = excluded.company, password_hash = excluded.password_hash, disabled = excluded.disabled",
            params![u.id.as_str(), u.username, u.name, role_str(u.role), u.company, u.password_hash, u.disabled],
        )?;
        for p in projects {
            tx.execute(
                "INSERT OR IGNORE INTO user_projects (user_id, project) VALUES (?1, ?2)",
                [u.id.as_str(), p.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, username, name, role, company, password_hash, disabled FROM users WHERE username = ?1",
                [username],
                user_from_row,
            )
            .optional()?)
    }

    fn user_by_id(&self, id: &UserId) -> StoreResult<Option<User>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, username, name, role, company, password_hash, disabled FROM users WHERE id = ?1",
                [id.as_str()],
                user_from_row,
            )
            .optional()?)
    }

    fn user_projects(&self, id: &UserId) -> StoreResult<Vec<ProjectId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT project FROM user_projects WHERE user_id = ?1 ORDER BY project")?;
        let rows = stmt.query_map([id.as_str()], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().map(ProjectId::new).collect())
    }

    fn insert_token(&self, token_hash: &str, user: &UserId, expires_at: i64) -> StoreResult<()> {
        let conn = self.conn();
        // The user's expired sign-ins are of no more use.
        conn.execute(
            "DELETE FROM tokens WHERE user_id = ?1 AND expires_at < ?2",
            params![user.as_str(), chrono::Utc::now().timestamp()],
        )?;
        conn.execute(
            "INSERT INTO tokens (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
            params![token_hash, user.as_str(), expires_at],
        )?;
        Ok(())
    }

    fn revoke_tokens(&self, user: &UserId) -> StoreResult<()> {
        self.conn().execute("UPDATE tokens SET revoked = 1 WHERE user_id = ?1", [user.as_str()])?;
        Ok(())
    }

    fn revoke_other_tokens(&self, user: &UserId, keep: &str) -> StoreResult<()> {
        self.conn()
            .execute("UPDATE tokens SET revoked = 1 WHERE user_id = ?1 AND token_hash <> ?2", [user.as_str(), keep])?;
        Ok(())
    }

    fn delete_token(&self, token_hash: &str) -> StoreResult<()> {
        self.conn().execute("DELETE FROM tokens WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    fn token_state(&self, token_hash: &str) -> StoreResult<Option<TokenState>> {
        Ok(self
            .conn()
            .query_row("SELECT user_id, expires_at, revoked FROM tokens WHERE token_hash = ?1", [token_hash], |r| {
                Ok(TokenState { user: UserId::new(r.get::<_, String>(0)?), expires_at: r.get(1)?, revoked: r.get(2)? })
            })
            .optional()?)
    }

    fn must_change_password(&self, user: &UserId) -> StoreResult<bool> {
        Ok(self
            .conn()
            .query_row("SELECT must_change_password FROM users WHERE id = ?1", [user.as_str()], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    fn set_must_change_password(&self, user: &UserId, must: bool) -> StoreResult<()> {
        self.conn()
            .execute("UPDATE users SET must_change_password = ?2 WHERE id = ?1", params![user.as_str(), must])?;
        Ok(())
    }

    fn set_password_hash(&self, user: &UserId, hash: &str) -> StoreResult<()> {
        self.conn().execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", [user.as_str(), hash])?;
        Ok(())
    }

    fn set_disabled(&self, user: &UserId, disabled: bool) -> StoreResult<()> {
        self.conn().execute("UPDATE users SET disabled = ?2 WHERE id = ?1", params![user.as_str(), disabled])?;
        Ok(())
    }

    fn project_users(&self, project: &ProjectId) -> StoreResult<Vec<User>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT u.id, u.username, u.name, u.role, u.company, u.password_hash, u.disabled
             FROM users u JOIN user_projects p ON p.user_id = u.id WHERE p.project = ?1 ORDER BY u.id",
        )?;
        let rows = stmt.query_map([project.as_str()], user_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn add_history(&self, project: &ProjectId, e: &HistoryEntry) -> StoreResult<()> {
        let detail = e.detail.to_string();
        self.conn().execute(
            "INSERT INTO audit_log (project, at, by, what, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            [project.as_str(), &e.at, e.by.as_str(), &e.what, &e.kind, &detail],
        )?;
        Ok(())
    }

    fn history(&self, project: &ProjectId) -> StoreResult<Vec<HistoryEntry>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT at, by, what, kind, detail FROM audit_log WHERE project = ?1 ORDER BY id DESC")?;
        let rows = stmt
            .query_map([project.as_str()], |r| {
                Ok(HistoryEntry {
                    at: r.get(0)?,
                    by: UserId::new(r.get::<_, String>(1)?),
                    what: r.get(2)?,
                    kind: r.get(3)?,
                    // Written by `add_history` from a JSON value: unreadable only if edited by hand.
                    detail: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or(serde_json::Value::Null),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn token_user(&self, token_hash: &str) -> StoreResult<Option<(UserId, i64)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT user_id, expires_at FROM tokens WHERE token_hash = ?1 AND revoked = 0",
                [token_hash],
                |r| Ok((UserId::new(r.get::<_, String>(0)?), r.get(1)?)),
            )
            .optional()?)
    }

    fn load_doc(&self, key: &DocKey) -> StoreResult<Option<StoredDoc>> {
        let conn = self.conn();
        let snapshot: Option<Vec<u8>> =
            conn.query_row("SELECT snapshot FROM docs WHERE doc = ?1", [key.to_string()], |r| r.get(0)).optional()?;
        let Some(snapshot) = snapshot else { return Ok(None) };
        let mut stmt = conn.prepare_cached("SELECT bytes FROM doc_chunks WHERE doc = ?1 ORDER BY seq")?;
        let chunks =
            stmt.query_map([key.to_string()], |r| r.get::<_, Vec<u8>>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(StoredDoc { snapshot, chunks }))
    }

    fn write_docs(&self, writes: &[DocWrite<'_>]) -> StoreResult<u64> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut seq = 0;
        for w in writes {
            seq = write_in(&tx, w)?;
        }
        tx.commit()?;
        Ok(seq)
    }

    fn compact_doc(&self, key: &DocKey, snapshot: &[u8]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("UPDATE docs SET snapshot = ?2 WHERE doc = ?1", params![key.to_string(), snapshot])?;
        tx.execute("DELETE FROM doc_chunks WHERE doc = ?1", [key.to_string()])?;
        tx.commit()?;
        Ok(())
    }

    fn changed_since(&self, project: &ProjectId, cursor: u64) -> StoreResult<(u64, Vec<(DocKey, String)>)> {
        let conn = self.conn();
        let now: i64 = conn
            .query_row("SELECT seq FROM project_seq WHERE project = ?1", [project.as_str()], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let mut stmt =
            conn.prepare_cached("SELECT doc, heads FROM docs WHERE project = ?1 AND seq > ?2 ORDER BY doc")?;
        let rows = stmt
            .query_map(params![project.as_str(), cursor as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter_map(|(k, h)| DocKey::parse(&k).map(|k| (k, h)))
            .collect();
        Ok((now as u64, rows))
    }

    fn projects(&self) -> StoreResult<Vec<ProjectId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT project FROM docs WHERE kind = 'project' ORDER BY project")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(ProjectId::new).collect())
    }

    fn set_project_company(&self, project: &ProjectId, company: &CompanyId) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO projects (project, company) VALUES (?1, ?2) ON CONFLICT(project) DO UPDATE SET company = excluded.company",
            [project.as_str(), company.as_str()],
        )?;
        Ok(())
    }

    fn company_projects(&self, company: &str) -> StoreResult<Vec<ProjectId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT project FROM projects WHERE company = ?1 ORDER BY project")?;
        let rows = stmt.query_map([company], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(ProjectId::new).collect())
    }

    fn put_blob(&self, hash: &PhotoHash, mime: &str, bytes: &[u8]) -> StoreResult<bool> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO blobs (hash, mime, bytes, created_at) VALUES (?1, ?2, ?3, strftime('%s','now'))",
            params![hash.as_str(), mime, bytes],
        )?;
        Ok(n == 1)
    }

    fn get_blob(&self, hash: &PhotoHash) -> StoreResult<Option<(String, Vec<u8>)>> {
        Ok(self
            .conn()
            .query_row("SELECT mime, bytes FROM blobs WHERE hash = ?1", [hash.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn add_blob_owner(&self, hash: &PhotoHash, owner: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR IGNORE INTO blob_owners (hash, owner) VALUES (?1, ?2)",
            params![hash.as_str(), owner],
        )?;
        Ok(())
    }

    fn blob_in_scope(&self, hash: &PhotoHash, user: &UserId, projects: &[ProjectId]) -> StoreResult<bool> {
        let conn = self.conn();
        let mut owners = vec![format!("user:{user}")];
        owners.extend(projects.iter().map(|p| format!("project:{p}")));
        let mut owned = conn.prepare_cached("SELECT 1 FROM blob_owners WHERE hash = ?1 AND owner = ?2")?;
        for o in &owners {
            if owned.exists(params![hash.as_str(), o])? {
                return Ok(true);
            }
        }
        let mut shown = conn.prepare_cached("SELECT 1 FROM rm_photos WHERE hash = ?1 AND project = ?2 LIMIT 1")?;
        for p in projects {
            if shown.exists(params![hash.as_str(), p.as_str()])? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn unit_round_rows(&self, project: &ProjectId) -> StoreResult<Vec<walkthrough_core::kpi::UnitRoundRow>> {
        self.json_rows("SELECT row FROM rm_unit_rounds WHERE project = ?1 ORDER BY unit, round", project)
    }

    fn defect_rows(&self, project: &ProjectId) -> StoreResult<Vec<walkthrough_core::kpi::DefectRow>> {
        self.json_rows("SELECT row FROM rm_defects WHERE project = ?1 ORDER BY unit, id", project)
    }

    fn recheck_rows(&self, project: &ProjectId) -> StoreResult<Vec<walkthrough_core::kpi::RecheckRow>> {
        self.json_rows("SELECT row FROM rm_rechecks WHERE project = ?1 ORDER BY unit, defect, round", project)
    }

    fn actor_users(&self, actors: &[String]) -> StoreResult<Vec<(String, UserId)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT user_id FROM device_actors WHERE actor = ?1")?;
        let mut out = Vec::new();
        for a in actors {
            if let Some(u) = stmt.query_row([a], |r| r.get::<_, String>(0)).optional()? {
                out.push((a.clone(), UserId::new(u)));
            }
        }
        Ok(out)
    }

    fn bind_actors(
        &self,
        project: &ProjectId,
        user: &UserId,
        actors: &[(String, u64)],
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (actor, changes) in actors {
            tx.execute(
                "INSERT INTO device_actors (actor, user_id, project, first_seen_ms, last_seen_ms, changes)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)
                 ON CONFLICT(actor) DO UPDATE SET last_seen_ms = excluded.last_seen_ms,
                   changes = device_actors.changes + excluded.changes
                 WHERE device_actors.user_id = excluded.user_id",
                params![actor, user.as_str(), project.as_str(), now_ms, *changes as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn project_devices(&self, project: &ProjectId) -> StoreResult<Vec<DeviceActor>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT actor, user_id, first_seen_ms, last_seen_ms, changes, name FROM device_actors
             WHERE project = ?1 ORDER BY last_seen_ms DESC, actor",
        )?;
        let rows = stmt
            .query_map([project.as_str()], |r| {
                let actor: String = r.get(0)?;
                let name: Option<String> = r.get(5)?;
                let server = matches!(
                    walkthrough_core::doc::writers::origin_of_hex(&actor),
                    walkthrough_core::doc::writers::Origin::Server { .. }
                );
                Ok(DeviceActor {
                    server,
                    label: if server {
                        String::new()
                    } else {
                        walkthrough_core::doc::writers::device_label(name.as_deref(), &actor)
                    },
                    actor,
                    user: UserId::new(r.get::<_, String>(1)?),
                    first_seen_ms: r.get(2)?,
                    last_seen_ms: r.get(3)?,
                    changes: r.get::<_, i64>(4)? as u64,
                    name,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn name_device(
        &self,
        project: &ProjectId,
        user: &UserId,
        actor: &str,
        name: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<()> {
        // A new actor is recorded only while its user has few that never
        // wrote: a tablet that makes up actors cannot grow the list without end.
        let conn = self.conn();
        let unused: i64 = conn.query_row(
            "SELECT count(*) FROM device_actors WHERE user_id = ?1 AND project = ?2 AND changes = 0",
            params![user.as_str(), project.as_str()],
            |r| r.get(0),
        )?;
        let known: bool =
            conn.query_row("SELECT count(*) FROM device_actors WHERE actor = ?1", [actor], |r| r.get::<_, i64>(0))? > 0;
        if !known && unused >= MAX_UNUSED_DEVICES_PER_USER {
            return Ok(());
        }
        conn.execute(
            "INSERT INTO device_actors (actor, user_id, project, first_seen_ms, last_seen_ms, changes, name)
             VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5)
             ON CONFLICT(actor) DO UPDATE SET last_seen_ms = excluded.last_seen_ms,
               name = coalesce(excluded.name, device_actors.name)
             WHERE device_actors.user_id = excluded.user_id",
            params![actor, user.as_str(), project.as_str(), now_ms, name],
        )?;
        Ok(())
    }

    fn device_names(&self, actors: &[String]) -> StoreResult<std::collections::HashMap<String, String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT name FROM device_actors WHERE actor = ?1 AND name IS NOT NULL")?;
        let mut out = std::collections::HashMap::new();
        for a in actors {
            if let Some(n) = stmt.query_row([a], |r| r.get::<_, String>(0)).optional()? {
                out.insert(a.clone(), n);
            }
        }
        Ok(out)
    }
}

impl SqliteStore {
    /// Read-model rows stored as JSON, selected by `sql` for `project`.
    fn json_rows<T: serde::de::DeserializeOwned>(&self, sql: &str, project: &ProjectId) -> StoreResult<Vec<T>> {
        self.json_rows_where(sql, project, &|_| true)
    }

    /// The rows of `sql` (`project` as ?1; the first column a read-model
    /// row as JSON), parsed as they are read on the reader connection (so
    /// sync is not kept waiting, and a large project's rows are never held
    /// twice). When `sql` selects a second column (a key), only the rows
    /// whose key `keep` accepts are parsed.
    pub(crate) fn json_rows_where<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        project: &ProjectId,
        keep: &dyn Fn(&str) -> bool,
    ) -> StoreResult<Vec<T>> {
        fn text(v: rusqlite::types::ValueRef<'_>) -> StoreResult<&str> {
            v.as_str().map_err(|e| StoreError::Other(e.to_string()))
        }
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(sql)?;
        let keyed = stmt.column_count() > 1;
        let mut rows = stmt.query([project.as_str()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            if keyed && !keep(text(r.get_ref(1)?)?) {
                continue;
            }
            out.push(serde_json::from_str(text(r.get_ref(0)?)?).map_err(|e| StoreError::Other(e.to_string()))?);
        }
        Ok(out)
    }
}

pub(crate) fn write_in(tx: &rusqlite::Transaction<'_>, w: &DocWrite<'_>) -> StoreResult<u64> {
    let project = w.key.project().as_str();

    tx.execute(
        "INSERT INTO project_seq (project, seq) VALUES (?1, 1) ON CONFLICT(project) DO UPDATE SET seq = seq + 1",
        [project],
    )?;
    let seq: i64 = tx.query_row("SELECT seq FROM project_seq WHERE project = ?1", [project], |r| r.get(0))?;
    let key = w.key.to_string();
    if w.is_new {
        let kind = if matches!(w.key, DocKey::Project(_)) { "project" } else { "unit" };
        tx.execute(
            "INSERT INTO docs (doc, project, kind, snapshot, heads, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![key, project, kind, w.bytes, w.heads, seq],
        )?;
    } else {
        tx.execute("INSERT INTO doc_chunks (doc, seq, bytes) VALUES (?1, ?2, ?3)", params![key, seq, w.bytes])?;
        tx.execute("UPDATE docs SET heads = ?2, seq = ?3 WHERE doc = ?1", params![key, w.heads, seq])?;
    }
    if let (Some(rows), DocKey::Unit(p, u)) = (w.rows, w.key) {
        replace_rows_in(tx, p.as_str(), u.as_str(), rows)?;
    }
    Ok(seq as u64)
}

/// Replace one unit's read-model rows with `rows`.
pub(crate) fn replace_rows_in(tx: &rusqlite::Transaction<'_>, p: &str, u: &str, rows: &UnitRows) -> StoreResult<()> {
    tx.execute("DELETE FROM rm_defects WHERE project = ?1 AND unit = ?2", [p, u])?;
    tx.execute("DELETE FROM rm_rechecks WHERE project = ?1 AND unit = ?2", [p, u])?;
    tx.execute("DELETE FROM rm_unit_rounds WHERE project = ?1 AND unit = ?2", [p, u])?;
    tx.execute("DELETE FROM rm_defect_details WHERE project = ?1 AND unit = ?2", [p, u])?;
    tx.execute("DELETE FROM rm_photos WHERE project = ?1 AND unit = ?2", [p, u])?;
    tx.execute("DELETE FROM rm_defect_photos WHERE project = ?1 AND unit = ?2", [p, u])?;
    for d in &rows.defects {
        tx.execute(
            "INSERT INTO rm_defects (project, unit, id, status, contractor, found_round, row, listed_for)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                p,
                u,
                d.id.to_string(),
                d.status.as_str(),
                d.contractor.as_ref().map(|c| c.as_str()),
                d.found_round.0,
                to_json(d),
                d.listed_for().map(|c| c.as_str())
            ],
        )?;
    }
    for r in &rows.rechecks {
        tx.execute(
            "INSERT INTO rm_rechecks (project, unit, defect, round, row) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![p, u, r.defect.to_string(), r.round.0, to_json(r)],
        )?;
    }
    for d in &rows.details {
        tx.execute(
            "INSERT INTO rm_defect_details (project, unit, id, row) VALUES (?1, ?2, ?3, ?4)",
            params![p, u, d.id.to_string(), to_json(d)],
        )?;
        for photo in &d.photos {
            tx.execute(
                "INSERT OR IGNORE INTO rm_photos (project, unit, hash) VALUES (?1, ?2, ?3)",
                params![p, u, photo.hash.as_str()],
            )?;
        }
        for hash in d.photos.iter().map(|ph| &ph.hash).chain(&d.evidence) {
            tx.execute(
                "INSERT OR IGNORE INTO rm_defect_photos (project, unit, defect, hash) VALUES (?1, ?2, ?3, ?4)",
                params![p, u, d.id.to_string(), hash.as_str()],
            )?;
        }
    }
    for r in &rows.rounds {
        tx.execute(
            "INSERT INTO rm_unit_rounds (project, unit, round, status, row) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![p, u, r.round.0, r.status.as_str(), to_json(r)],
        )?;
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(row: &T) -> String {
    serde_json::to_string(row).expect("read-model rows serialise")
}
