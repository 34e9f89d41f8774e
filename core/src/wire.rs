//! The HTTP payloads of the sync server, apart from the domain types.
//! Binary document data travels as base64 inside gzip-compressed JSON.
//!
//! The sync protocol, two requests per sync at most:
//! 1. `POST /api/v1/sync/manifest` with the client's cursor: the server
//!    answers with the documents of the project that changed since, and
//!    their heads. A tablet with nothing to do stops here (a few bytes).
//! 2. `POST /api/v1/sync/exchange` with, for each document that differs,
//!    the client's heads and the changes the server lacks (changes after the
//!    heads it last saw on the server). The server applies them and answers
//!    with its heads and the changes the client lacks. Documents are
//!    batched, many per request; applying anything twice is harmless.

use crate::doc::DocKey;
use crate::ids::{ProjectId, UserId};
use crate::model::Role;
use serde::{Deserialize, Serialize};

pub mod dispatch;

pub const API: &str = "/api/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
    pub user: UserInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub projects: Vec<ProjectId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestRequest {
    pub project: ProjectId,
    /// The server's change counter the client last caught up with (0: never).
    pub cursor: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestResponse {
    pub cursor: u64,
    pub docs: Vec<DocHeads>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocHeads {
    pub doc: DocKey,
    /// Change hashes, hex.
    pub heads: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeRequest {
    pub project: ProjectId,
    pub docs: Vec<DocPush>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocPush {
    pub doc: DocKey,
    /// The client's heads (empty: it has nothing of this document).
    pub have: Vec<String>,
    /// Changes for the server (Automerge `save_after` bytes), possibly empty.
    #[serde(with = "b64")]
    pub changes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExchangeResponse {
    pub docs: Vec<DocReply>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocReply {
    pub doc: DocKey,
    /// The server's heads after applying the client's changes.
    pub heads: Vec<String>,
    /// Changes for the client, possibly empty.
    #[serde(with = "b64")]
    pub changes: Vec<u8>,
    /// Why this document was refused (nothing of it was stored); the rest of
    /// the request went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every error response: a sentence for a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| serde::de::Error::custom(format!("bad base64: {e}")))
    }
}
