use walkthrough_core::doc::DocKey;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Core(#[from] walkthrough_core::Error),
    #[error("the local database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("document {0} is not on this tablet")]
    NoDocument(DocKey),
    #[error("the stored document {doc} is damaged: {detail}")]
    Damaged { doc: DocKey, detail: String },
    #[error("project {0} is not on this tablet; sync it first")]
    NoProject(walkthrough_core::ProjectId),
    #[error("photo rejected: {0}")]
    Photo(String),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
