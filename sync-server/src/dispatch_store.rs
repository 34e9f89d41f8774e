//! Storage for dispatch: contractor links and refused attempts, notices,
//! and the notification outbox. A part of `Store` (its supertrait), kept
//! apart so each stays small.

use crate::store::{DocWrite, SqliteStore, StoreError, StoreResult};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use walkthrough_core::defect::DefectStatus;
use walkthrough_core::dispatch::Notice;
use walkthrough_core::kpi::{DefectDetail, DefectRow};
use walkthrough_core::*;

/// A contractor link as stored (its secret is never stored, only a hash).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContractorLink {
    pub id: String,
    pub project: ProjectId,
    pub contractor: ContractorId,
    pub created_by: UserId,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<UserId>,
    pub last_used_at: Option<i64>,
}

/// A contractor's group robot (WeCom or DingTalk).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContractorChannel {
    pub contractor: ContractorId,
    /// `wecom` or `dingtalk`.
    pub kind: String,
    /// The robot's webhook address (it carries the robot's key).
    pub webhook: String,
    /// DingTalk's signing secret (`SEC…`), if the robot is set to sign.
    /// Never sent back to a browser (see `channels::list`).
    pub secret: Option<String>,
    pub updated_by: UserId,
    pub updated_at: i64,
}

/// A refused attempt to use a link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LinkRefusal {
    pub at: i64,
    pub link: Option<String>,
    pub reason: String,
    pub request: String,
}

/// A message to deliver, keyed by its delivery key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutboxMessage {
    pub key: String,
    pub project: ProjectId,
    pub contractor: ContractorId,
    /// `webhook` or `email`.
    pub channel: String,
    /// A URL or an email address.
    pub recipient: String,
    pub subject: String,
    /// The JSON payload (webhook) or the text (email).
    pub body: String,
    /// `pending`, `sending`, `sent`, `failing` or `dead`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// What `retry_message` did.
#[derive(Debug)]
pub enum RetryOutcome {
    /// Back to pending, due at the given time; the message as it is now.
    Retried(Box<OutboxMessage>),
    NotFound,
    /// Its status (pending, sending, sent): nothing to retry.
    NotRetryable(String),
}

pub trait DispatchStore {
    /// Store document changes, the notices they call for and the messages
    /// to send at once, in one transaction: a change that happened is a
    /// notice that will be sent.
    fn write_docs_notify(
        &self,
        writes: &[DocWrite<'_>],
        notices: &[Notice],
        messages: &[OutboxMessage],
        now: i64,
    ) -> StoreResult<u64>;
    /// The read-model rows of one unit.
    fn unit_defect_rows(&self, project: &ProjectId, unit: &UnitId) -> StoreResult<Vec<DefectRow>>;
    /// The unit a defect is in, from the read model.
    fn defect_unit(&self, project: &ProjectId, defect: DefectId) -> StoreResult<Option<UnitId>>;
    /// Units holding defects that are (or would be) a contractor's.
    fn contractor_units(&self, project: &ProjectId, contractor: &ContractorId) -> StoreResult<Vec<UnitId>>;
    /// Units with at least one defect in `status` (e.g. accepted risks).
    fn status_units(&self, project: &ProjectId, status: DefectStatus) -> StoreResult<Vec<UnitId>>;
    /// The read-model rows, with their words and photos, of the defects on
    /// a contractor's list (`DefectRow::listed_for`).
    fn listed_rows(
        &self,
        project: &ProjectId,
        contractor: &ContractorId,
    ) -> StoreResult<Vec<(DefectRow, DefectDetail)>>;
    /// Whether `hash` is a photo (or a "fixed" report's photo) of a defect
    /// on the contractor's list.
    fn listed_photo(&self, project: &ProjectId, contractor: &ContractorId, hash: &PhotoHash) -> StoreResult<bool>;
    /// The units of the defects on the contractor's list.
    fn listed_units(&self, project: &ProjectId, contractor: &ContractorId) -> StoreResult<Vec<UnitId>>;

    fn insert_link(&self, link: &ContractorLink, token_hash: &str) -> StoreResult<()>;
    fn link_by_token(&self, token_hash: &str) -> StoreResult<Option<ContractorLink>>;
    fn touch_link(&self, id: &str, at: i64) -> StoreResult<()>;
    fn links(&self, project: &ProjectId) -> StoreResult<Vec<ContractorLink>>;
    /// Revoke a link of `project`; false when there is none by that id.
    fn revoke_link(&self, project: &ProjectId, id: &str, by: &UserId, at: i64) -> StoreResult<bool>;
    fn log_link_refusal(&self, link: Option<&ContractorLink>, reason: &str, request: &str, at: i64) -> StoreResult<()>;
    fn link_refusals(&self, project: &ProjectId) -> StoreResult<Vec<LinkRefusal>>;

    /// Notices waiting for a digest, with their project and when they were made, oldest first.
    fn pending_digest_notices(&self) -> StoreResult<Vec<(ProjectId, i64, Notice)>>;
    /// Mark the notices as carried by `digest` and queue its messages, in one transaction.
    fn queue_digest(&self, digest: &str, notice_keys: &[String], messages: &[OutboxMessage]) -> StoreResult<()>;
    /// Messages due for (another) attempt at `now`, oldest first.
    fn due_messages(&self, now: i64, limit: usize) -> StoreResult<Vec<OutboxMessage>>;
    fn mark_sending(&self, key: &str) -> StoreResult<()>;
    fn mark_sent(&self, key: &str, at: i64) -> StoreResult<()>;
    /// Record a failed attempt: `failing` until `next_at`, or `dead` when `give_up`.
    fn mark_failed(&self, key: &str, error: &str, next_at: i64, give_up: bool) -> StoreResult<()>;
    fn outbox(&self, project: &ProjectId) -> StoreResult<Vec<OutboxMessage>>;
    /// A failing or dead message of `project` back to pending, due `now`
    /// (attempts, error and body stay as they are).
    fn retry_message(&self, project: &ProjectId, key: &str, now: i64) -> StoreResult<RetryOutcome>;

    /// Set (or replace) a contractor's group robot.
    fn set_channel(&self, project: &ProjectId, channel: &ContractorChannel) -> StoreResult<()>;
    /// Remove it; false when there was none.
    fn delete_channel(&self, project: &ProjectId, contractor: &ContractorId) -> StoreResult<bool>;
    fn channels(&self, project: &ProjectId) -> StoreResult<Vec<ContractorChannel>>;
}

/// How many refused link attempts a project keeps (the latest).
pub const LINK_REFUSALS_KEPT: i64 = 200;

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Other(e.to_string())
}

fn link_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ContractorLink> {
    Ok(ContractorLink {
        id: r.get(0)?,
        project: ProjectId::new(r.get::<_, String>(1)?),
        contractor: ContractorId::new(r.get::<_, String>(2)?),
        created_by: UserId::new(r.get::<_, String>(3)?),
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
        revoked_by: r.get::<_, Option<String>>(7)?.map(UserId::new),
        last_used_at: r.get(8)?,
    })
}

const LINK_COLUMNS: &str =
    "id, project, contractor, created_by, created_at, expires_at, revoked_at, revoked_by, last_used_at";
const OUTBOX_COLUMNS: &str = "key, project, contractor, channel, recipient, subject, body, status, attempts, \
     next_attempt_at, last_error, created_at, sent_at";

fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxMessage> {
    Ok(OutboxMessage {
        key: r.get(0)?,
        project: ProjectId::new(r.get::<_, String>(1)?),
        contractor: ContractorId::new(r.get::<_, String>(2)?),
        channel: r.get(3)?,
        recipient: r.get(4)?,
        subject: r.get(5)?,
        body: r.get(6)?,
        status: r.get(7)?,
        attempts: r.get(8)?,
        next_attempt_at: r.get(9)?,
        last_error: r.get(10)?,
        created_at: r.get(11)?,
        sent_at: r.get(12)?,
    })
}

/// Every row of `sql` (with `?1` the project), mapped by `row`.
fn project_rows<T>(
    store: &SqliteStore,
    sql: &str,
    project: &ProjectId,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let conn = store.conn();
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([project.as_str()], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn insert_messages(tx: &rusqlite::Transaction<'_>, messages: &[OutboxMessage]) -> StoreResult<()> {
    for m in messages {
        // A delivery key is one message, whatever replays the change that made it.
        tx.execute(
            &format!("INSERT OR IGNORE INTO outbox ({OUTBOX_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
            params![
                m.key,
                m.project.as_str(),
                m.contractor.as_str(),
                m.channel,
                m.recipient,
                m.subject,
                m.body,
                m.status,
                m.attempts,
                m.next_attempt_at,
                m.last_error,
                m.created_at,
                m.sent_at
            ],
        )?;
    }
    Ok(())
}

impl DispatchStore for SqliteStore {
    fn write_docs_notify(
        &self,
        writes: &[DocWrite<'_>],
        notices: &[Notice],
        messages: &[OutboxMessage],
        now: i64,
    ) -> StoreResult<u64> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut seq = 0;
        for w in writes {
            seq = crate::store::write_in(&tx, w)?;
        }
        for n in notices {
            // Urgent notices are carried by their own messages at once.
            let digest = n.urgent.then(|| format!("urgent/{}", n.key()));
            let project = writes.first().map(|w| w.key.project().as_str()).unwrap_or_default();
            tx.execute(
                "INSERT OR IGNORE INTO notices (key, project, contractor, urgent, notice, created_at, digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    n.key(),
                    project,
                    n.contractor.as_str(),
                    n.urgent,
                    serde_json::to_string(n).map_err(json_err)?,
                    now,
                    digest
                ],
            )?;
        }
        insert_messages(&tx, messages)?;
        tx.commit()?;
        Ok(seq)
    }

    fn unit_defect_rows(&self, project: &ProjectId, unit: &UnitId) -> StoreResult<Vec<DefectRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT row FROM rm_defects WHERE project = ?1 AND unit = ?2")?;
        let rows = stmt
            .query_map([project.as_str(), unit.as_str()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.iter().map(|r| serde_json::from_str(r).map_err(json_err)).collect()
    }

    fn defect_unit(&self, project: &ProjectId, defect: DefectId) -> StoreResult<Option<UnitId>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT unit FROM rm_defects WHERE project = ?1 AND id = ?2",
                [project.as_str(), &defect.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(UnitId::new))
    }

    fn contractor_units(&self, project: &ProjectId, contractor: &ContractorId) -> StoreResult<Vec<UnitId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT unit FROM rm_defects WHERE project = ?1 AND contractor = ?2 ORDER BY unit",
        )?;
        let rows = stmt
            .query_map([project.as_str(), contractor.as_str()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(UnitId::new).collect())
    }

    fn status_units(&self, project: &ProjectId, status: DefectStatus) -> StoreResult<Vec<UnitId>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT DISTINCT unit FROM rm_defects WHERE project = ?1 AND status = ?2 ORDER BY unit")?;
        let rows = stmt
            .query_map([project.as_str(), status.as_str()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(UnitId::new).collect())
    }

    fn listed_rows(
        &self,
        project: &ProjectId,
        contractor: &ContractorId,
    ) -> StoreResult<Vec<(DefectRow, DefectDetail)>> {
        // The reader connection: a long list does not keep sync waiting.
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT d.row, x.row FROM rm_defects d JOIN rm_defect_details x ON x.project = d.project AND x.id = d.id
             WHERE d.project = ?1 AND d.listed_for = ?2",
        )?;
        let mut rows = stmt.query([project.as_str(), contractor.as_str()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let row = serde_json::from_str(r.get_ref(0)?.as_str().map_err(|e| StoreError::Other(e.to_string()))?);
            let detail = serde_json::from_str(r.get_ref(1)?.as_str().map_err(|e| StoreError::Other(e.to_string()))?);
            out.push((row.map_err(json_err)?, detail.map_err(json_err)?));
        }
        Ok(out)
    }

    fn listed_photo(&self, project: &ProjectId, contractor: &ContractorId, hash: &PhotoHash) -> StoreResult<bool> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM rm_defect_photos p JOIN rm_defects d ON d.project = p.project AND d.id = p.defect
             WHERE p.project = ?1 AND p.hash = ?2 AND d.listed_for = ?3 LIMIT 1",
        )?;
        Ok(stmt.exists([project.as_str(), hash.as_str(), contractor.as_str()])?)
    }

    fn listed_units(&self, project: &ProjectId, contractor: &ContractorId) -> StoreResult<Vec<UnitId>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT unit FROM rm_defects WHERE project = ?1 AND listed_for = ?2 ORDER BY unit",
        )?;
        let rows = stmt
            .query_map([project.as_str(), contractor.as_str()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(UnitId::new).collect())
    }

    fn set_channel(&self, project: &ProjectId, c: &ContractorChannel) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO contractor_channels (project, contractor, kind, webhook, secret, updated_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (project, contractor) DO UPDATE SET kind = ?3, webhook = ?4, secret = ?5, updated_by = ?6, updated_at = ?7",
            params![
                project.as_str(),
                c.contractor.as_str(),
                c.kind,
                c.webhook,
                c.secret,
                c.updated_by.as_str(),
                c.updated_at
            ],
        )?;
        Ok(())
    }

    fn delete_channel(&self, project: &ProjectId, contractor: &ContractorId) -> StoreResult<bool> {
        let n = self.conn().execute(
            "DELETE FROM contractor_channels WHERE project = ?1 AND contractor = ?2",
            params![project.as_str(), contractor.as_str()],
        )?;
        Ok(n > 0)
    }

    fn channels(&self, project: &ProjectId) -> StoreResult<Vec<ContractorChannel>> {
        let sql = "SELECT contractor, kind, webhook, secret, updated_by, updated_at FROM contractor_channels
                   WHERE project = ?1 ORDER BY contractor";
        project_rows(self, sql, project, |r| {
            Ok(ContractorChannel {
                contractor: ContractorId::new(r.get::<_, String>(0)?),
                kind: r.get(1)?,
                webhook: r.get(2)?,
                secret: r.get(3)?,
                updated_by: UserId::new(r.get::<_, String>(4)?),
                updated_at: r.get(5)?,
            })
        })
    }

    fn insert_link(&self, l: &ContractorLink, token_hash: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO contractor_links (id, token_hash, project, contractor, created_by, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                l.id,
                token_hash,
                l.project.as_str(),
                l.contractor.as_str(),
                l.created_by.as_str(),
                l.created_at,
                l.expires_at
            ],
        )?;
        Ok(())
    }

    fn link_by_token(&self, token_hash: &str) -> StoreResult<Option<ContractorLink>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {LINK_COLUMNS} FROM contractor_links WHERE token_hash = ?1"),
                [token_hash],
                link_from_row,
            )
            .optional()?)
    }

    fn touch_link(&self, id: &str, at: i64) -> StoreResult<()> {
        self.conn().execute("UPDATE contractor_links SET last_used_at = ?2 WHERE id = ?1", params![id, at])?;
        Ok(())
    }

    fn links(&self, project: &ProjectId) -> StoreResult<Vec<ContractorLink>> {
        let sql =
            format!("SELECT {LINK_COLUMNS} FROM contractor_links WHERE project = ?1 ORDER BY contractor, created_at");
        project_rows(self, &sql, project, link_from_row)
    }

    fn revoke_link(&self, project: &ProjectId, id: &str, by: &UserId, at: i64) -> StoreResult<bool> {
        let n = self.conn().execute(
            "UPDATE contractor_links SET revoked_at = COALESCE(revoked_at, ?3), revoked_by = COALESCE(revoked_by, ?4)
             WHERE project = ?1 AND id = ?2",
            params![project.as_str(), id, at, by.as_str()],
        )?;
        Ok(n == 1)
    }

    fn log_link_refusal(&self, link: Option<&ContractorLink>, reason: &str, request: &str, at: i64) -> StoreResult<()> {
        // A refusal is stored only when it names a link, so it belongs to
        // that link's project and only that project's CS center sees it; an
        // unknown or missing secret could be anyone's (it is traced only).
        // Each project keeps its latest LINK_REFUSALS_KEPT refusals.
        let Some(link) = link else { return Ok(()) };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO link_refusals (at, link, project, reason, request) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, link.id.as_str(), link.project.as_str(), reason, request],
        )?;
        tx.execute(
            "DELETE FROM link_refusals WHERE project = ?1 AND id <= (SELECT id FROM link_refusals WHERE project = ?1
               ORDER BY id DESC LIMIT 1 OFFSET ?2)",
            params![link.project.as_str(), LINK_REFUSALS_KEPT],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn link_refusals(&self, project: &ProjectId) -> StoreResult<Vec<LinkRefusal>> {
        let sql = "SELECT at, link, reason, request FROM link_refusals WHERE project = ?1 ORDER BY id";
        project_rows(self, sql, project, |r| {
            Ok(LinkRefusal { at: r.get(0)?, link: r.get(1)?, reason: r.get(2)?, request: r.get(3)? })
        })
    }

    fn pending_digest_notices(&self) -> StoreResult<Vec<(ProjectId, i64, Notice)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT project, created_at, notice FROM notices WHERE digest IS NULL ORDER BY project, contractor, created_at, key",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(p, at, n)| Ok((ProjectId::new(p), at, serde_json::from_str(&n).map_err(json_err)?)))
            .collect()
    }

    fn queue_digest(&self, digest: &str, notice_keys: &[String], messages: &[OutboxMessage]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for k in notice_keys {
            tx.execute("UPDATE notices SET digest = ?2 WHERE key = ?1 AND digest IS NULL", [k.as_str(), digest])?;
        }
        insert_messages(&tx, messages)?;
        tx.commit()?;
        Ok(())
    }

    fn due_messages(&self, now: i64, limit: usize) -> StoreResult<Vec<OutboxMessage>> {
        let conn = self.conn();
        // `sending` is due again: a message whose attempt was cut off by a
        // crash is retried (its delivery key lets the receiver drop a repeat).
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status IN ('pending', 'sending', 'failing')
             AND next_attempt_at <= ?1 ORDER BY next_attempt_at, created_at, key LIMIT ?2"
        ))?;
        let rows =
            stmt.query_map(params![now, limit as i64], message_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn mark_sending(&self, key: &str) -> StoreResult<()> {
        self.conn().execute("UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE key = ?1", [key])?;
        Ok(())
    }

    fn mark_sent(&self, key: &str, at: i64) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?2, last_error = NULL WHERE key = ?1",
            params![key, at],
        )?;
        Ok(())
    }

    fn mark_failed(&self, key: &str, error: &str, next_at: i64, give_up: bool) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE outbox SET status = ?4, last_error = ?2, next_attempt_at = ?3 WHERE key = ?1",
            params![key, error, next_at, if give_up { "dead" } else { "failing" }],
        )?;
        Ok(())
    }

    fn outbox(&self, project: &ProjectId) -> StoreResult<Vec<OutboxMessage>> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE project = ?1 ORDER BY created_at DESC, key");
        project_rows(self, &sql, project, message_from_row)
    }

    fn retry_message(&self, project: &ProjectId, key: &str, now: i64) -> StoreResult<RetryOutcome> {
        let conn = self.conn();
        let changed = conn.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?3
             WHERE key = ?1 AND project = ?2 AND status IN ('failing', 'dead')",
            params![key, project.as_str(), now],
        )?;
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = ?1 AND project = ?2");
        let found = conn.query_row(&sql, params![key, project.as_str()], message_from_row).optional()?;
        Ok(match found {
            None => RetryOutcome::NotFound,
            Some(m) if changed == 1 => RetryOutcome::Retried(Box::new(m)),
            Some(m) => RetryOutcome::NotRetryable(m.status),
        })
    }
}
