//! Storage for reports: the defect details their appendices read, the
//! printing thumbnails of photos, issued (frozen) reports and their share
//! links, and the queue of read models to derive again. A part of `Store`
//! (its supertrait), kept apart so each stays small.

use crate::store::{SqliteStore, StoreResult};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use walkthrough_core::kpi::{DefectDetail, UnitRows};
use walkthrough_core::*;

/// An issued report as listed (its files are fetched one by one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedReport {
    pub id: String,
    pub project: ProjectId,
    /// `round` or `cumulative`.
    pub scope: String,
    pub round: u32,
    /// 1, 2, … per project, scope and round.
    pub version: u32,
    /// Epoch milliseconds.
    pub issued_at: i64,
    pub issued_by: UserId,
    /// The report date the figures are counted to (epoch milliseconds).
    pub as_of: i64,
    pub with_photos: bool,
    /// Sizes of the stored files in bytes.
    pub sizes: FileSizes,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileSizes {
    pub json: u64,
    pub pdf: u64,
    pub xlsx: u64,
}

/// The files of a report being issued.
pub struct IssuedFiles {
    pub json: Vec<u8>,
    pub pdf: Vec<u8>,
    pub xlsx: Vec<u8>,
}

/// A link to an issued report (its secret is never stored, only a hash).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportShare {
    pub id: String,
    pub report: String,
    pub created_by: UserId,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<UserId>,
    pub last_used_at: Option<i64>,
    /// When the link stops working (milliseconds); refused like a revoked one after.
    pub expires_at: Option<i64>,
}

/// Which stored file of an issued report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuedFormat {
    Json,
    Pdf,
    Xlsx,
}

impl IssuedFormat {
    fn column(self) -> &'static str {
        match self {
            IssuedFormat::Json => "json",
            IssuedFormat::Pdf => "pdf",
            IssuedFormat::Xlsx => "xlsx",
        }
    }
}

pub trait ReportStore {
    /// The details of the defects of `project` that `keep` wants (the
    /// others are not even parsed: a report's appendix needs a fifth of a
    /// large project's).
    fn defect_details(&self, project: &ProjectId, keep: &dyn Fn(DefectId) -> bool) -> StoreResult<Vec<DefectDetail>>;

    /// The details of the defects accepted as risks.
    fn risk_details(&self, project: &ProjectId) -> StoreResult<Vec<DefectDetail>>;

    fn thumb(&self, hash: &PhotoHash) -> StoreResult<Option<Vec<u8>>>;
    fn put_thumb(&self, hash: &PhotoHash, bytes: &[u8]) -> StoreResult<()>;
    /// The screen preview of a photo sent to tablets (`thumbs::preview`).
    fn preview(&self, hash: &PhotoHash) -> StoreResult<Option<Vec<u8>>>;
    fn put_preview(&self, hash: &PhotoHash, bytes: &[u8]) -> StoreResult<()>;
    /// Photos stored without a printing thumbnail yet.
    fn blobs_without_thumb(&self, limit: usize) -> StoreResult<Vec<PhotoHash>>;

    /// Store an issued report as the next version of its project, scope and
    /// round; its metadata (with the version given) is returned.
    fn insert_issued(&self, report: &IssuedReport, files: &IssuedFiles) -> StoreResult<IssuedReport>;
    /// The project's issued reports, newest first.
    fn issued_reports(&self, project: &ProjectId) -> StoreResult<Vec<IssuedReport>>;
    fn issued_report(&self, id: &str) -> StoreResult<Option<IssuedReport>>;
    fn issued_file(&self, id: &str, format: IssuedFormat) -> StoreResult<Option<Vec<u8>>>;

    fn insert_share(&self, share: &ReportShare, token_hash: &str) -> StoreResult<()>;
    fn shares(&self, report: &str) -> StoreResult<Vec<ReportShare>>;
    fn revoke_share(&self, id: &str, by: &UserId, at: i64) -> StoreResult<bool>;
    /// The share with this secret's hash, marked used at `now`.
    fn use_share(&self, token_hash: &str, now: i64) -> StoreResult<Option<ReportShare>>;

    /// Projects whose read model is to be derived again from their documents.
    fn read_model_rebuilds(&self) -> StoreResult<Vec<ProjectId>>;
    /// The units of `project` that have a stored document.
    fn unit_docs(&self, project: &ProjectId) -> StoreResult<Vec<UnitId>>;
    /// Replace one unit's read-model rows (a rebuild; the document is unchanged).
    fn replace_unit_rows(&self, project: &ProjectId, unit: &UnitId, rows: &UnitRows) -> StoreResult<()>;
    fn read_model_rebuilt(&self, project: &ProjectId) -> StoreResult<()>;
}

const ISSUED_COLUMNS: &str = "id, project, scope, round, version, issued_at, issued_by, as_of, with_photos, \
     length(json), length(pdf), length(xlsx)";

fn issued_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssuedReport> {
    Ok(IssuedReport {
        id: r.get(0)?,
        project: ProjectId::new(r.get::<_, String>(1)?),
        scope: r.get(2)?,
        round: r.get(3)?,
        version: r.get(4)?,
        issued_at: r.get(5)?,
        issued_by: UserId::new(r.get::<_, String>(6)?),
        as_of: r.get(7)?,
        with_photos: r.get(8)?,
        sizes: FileSizes {
            json: r.get::<_, i64>(9)? as u64,
            pdf: r.get::<_, i64>(10)? as u64,
            xlsx: r.get::<_, i64>(11)? as u64,
        },
    })
}

fn share_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReportShare> {
    Ok(ReportShare {
        id: r.get(0)?,
        report: r.get(1)?,
        created_by: UserId::new(r.get::<_, String>(2)?),
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
        revoked_by: r.get::<_, Option<String>>(5)?.map(UserId::new),
        last_used_at: r.get(6)?,
        expires_at: r.get(7)?,
    })
}

const SHARE_COLUMNS: &str = "id, report, created_by, created_at, revoked_at, revoked_by, last_used_at, expires_at";

impl ReportStore for SqliteStore {
    fn defect_details(&self, project: &ProjectId, keep: &dyn Fn(DefectId) -> bool) -> StoreResult<Vec<DefectDetail>> {
        self.json_rows_where(
            "SELECT row, id FROM rm_defect_details WHERE project = ?1 ORDER BY unit, id",
            project,
            &|id| DefectId::parse(id).is_some_and(keep),
        )
    }

    fn risk_details(&self, project: &ProjectId) -> StoreResult<Vec<DefectDetail>> {
        self.json_rows_where(
            "SELECT d.row FROM rm_defect_details d JOIN rm_defects r ON r.project = d.project AND r.id = d.id
             WHERE d.project = ?1 AND r.status = 'accepted_risk' ORDER BY d.unit, d.id",
            project,
            &|_| true,
        )
    }

    fn thumb(&self, hash: &PhotoHash) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .conn()
            .query_row("SELECT bytes FROM blob_thumbs WHERE hash = ?1", [hash.as_str()], |r| r.get(0))
            .optional()?)
    }

    fn put_thumb(&self, hash: &PhotoHash, bytes: &[u8]) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO blob_thumbs (hash, bytes) VALUES (?1, ?2)",
            params![hash.as_str(), bytes],
        )?;
        Ok(())
    }

    fn preview(&self, hash: &PhotoHash) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .conn()
            .query_row("SELECT bytes FROM blob_previews WHERE hash = ?1", [hash.as_str()], |r| r.get(0))
            .optional()?)
    }

    fn put_preview(&self, hash: &PhotoHash, bytes: &[u8]) -> StoreResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO blob_previews (hash, bytes) VALUES (?1, ?2)",
            params![hash.as_str(), bytes],
        )?;
        Ok(())
    }

    fn blobs_without_thumb(&self, limit: usize) -> StoreResult<Vec<PhotoHash>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT b.hash FROM blobs b LEFT JOIN blob_thumbs t ON t.hash = b.hash
             WHERE t.hash IS NULL AND b.mime LIKE 'image/%' ORDER BY b.created_at LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(PhotoHash::new).collect())
    }

    fn insert_issued(&self, report: &IssuedReport, files: &IssuedFiles) -> StoreResult<IssuedReport> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let version: u32 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM issued_reports WHERE project = ?1 AND scope = ?2 AND round = ?3",
            params![report.project.as_str(), report.scope, report.round],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO issued_reports (id, project, scope, round, version, issued_at, issued_by, as_of, with_photos,
             json, pdf, xlsx) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                report.id,
                report.project.as_str(),
                report.scope,
                report.round,
                version,
                report.issued_at,
                report.issued_by.as_str(),
                report.as_of,
                report.with_photos,
                files.json,
                files.pdf,
                files.xlsx
            ],
        )?;
        tx.commit()?;
        Ok(IssuedReport {
            version,
            sizes: FileSizes {
                json: files.json.len() as u64,
                pdf: files.pdf.len() as u64,
                xlsx: files.xlsx.len() as u64,
            },
            ..report.clone()
        })
    }

    fn issued_reports(&self, project: &ProjectId) -> StoreResult<Vec<IssuedReport>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ISSUED_COLUMNS} FROM issued_reports WHERE project = ?1 ORDER BY issued_at DESC, version DESC"
        ))?;
        let rows = stmt.query_map([project.as_str()], issued_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn issued_report(&self, id: &str) -> StoreResult<Option<IssuedReport>> {
        Ok(self
            .conn()
            .query_row(&format!("SELECT {ISSUED_COLUMNS} FROM issued_reports WHERE id = ?1"), [id], issued_from_row)
            .optional()?)
    }

    fn issued_file(&self, id: &str, format: IssuedFormat) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .conn()
            .query_row(&format!("SELECT {} FROM issued_reports WHERE id = ?1", format.column()), [id], |r| r.get(0))
            .optional()?)
    }

    fn insert_share(&self, s: &ReportShare, token_hash: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO report_shares (id, token_hash, report, created_by, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.id, token_hash, s.report, s.created_by.as_str(), s.created_at, s.expires_at],
        )?;
        Ok(())
    }

    fn shares(&self, report: &str) -> StoreResult<Vec<ReportShare>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SHARE_COLUMNS} FROM report_shares WHERE report = ?1 ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([report], share_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    fn revoke_share(&self, id: &str, by: &UserId, at: i64) -> StoreResult<bool> {
        let n = self.conn().execute(
            "UPDATE report_shares SET revoked_at = ?3, revoked_by = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, by.as_str(), at],
        )?;
        Ok(n > 0)
    }

    fn use_share(&self, token_hash: &str, now: i64) -> StoreResult<Option<ReportShare>> {
        let conn = self.conn();
        let share = conn
            .query_row(
                &format!("SELECT {SHARE_COLUMNS} FROM report_shares WHERE token_hash = ?1"),
                [token_hash],
                share_from_row,
            )
            .optional()?;
        if let Some(s) = &share {
            conn.execute("UPDATE report_shares SET last_used_at = ?2 WHERE id = ?1", params![s.id, now])?;
        }
        Ok(share)
    }

    fn read_model_rebuilds(&self) -> StoreResult<Vec<ProjectId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT project FROM read_model_rebuild ORDER BY project")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(ProjectId::new).collect())
    }

    fn unit_docs(&self, project: &ProjectId) -> StoreResult<Vec<UnitId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT doc FROM docs WHERE project = ?1 AND kind = 'unit' ORDER BY doc")?;
        let rows =
            stmt.query_map([project.as_str()], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        let prefix = format!("{project}/unit/");
        Ok(rows.into_iter().filter_map(|d| d.strip_prefix(&prefix).map(UnitId::new)).collect())
    }

    fn replace_unit_rows(&self, project: &ProjectId, unit: &UnitId, rows: &UnitRows) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        crate::store::replace_rows_in(&tx, project.as_str(), unit.as_str(), rows)?;
        tx.commit()?;
        Ok(())
    }

    fn read_model_rebuilt(&self, project: &ProjectId) -> StoreResult<()> {
        self.conn().execute("DELETE FROM read_model_rebuild WHERE project = ?1", [project.as_str()])?;
        Ok(())
    }
}
