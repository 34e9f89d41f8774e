use crate::ids::{CategoryId, DefectId};

/// Everything that can go wrong inside the core, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the document is not a Walkthrough {expected} document: {detail}")]
    WrongDocument { expected: &'static str, detail: String },
    #[error("the document field `{path}` is missing or has the wrong type")]
    BadField { path: String },
    #[error("defect {0} does not exist in this unit")]
    NoSuchDefect(DefectId),
    #[error("defect {0} already exists in this unit")]
    DuplicateDefect(DefectId),
    #[error("category `{0}` is not in this project's category list")]
    UnknownCategory(CategoryId),
    #[error("category `{0}` is \"other\": a written reason is required")]
    OtherNeedsReason(CategoryId),
    #[error("defect {0} is closed ({1}); it cannot be changed any more")]
    DefectClosed(DefectId, &'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("Automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("the project is not valid:\n{}", .0.join("\n"))]
    InvalidProject(Vec<String>),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
