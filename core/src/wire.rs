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

pub mod dashboard;
pub mod dispatch;

pub const API: &str = "/api/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
    pub user: UserInfo,
    /// The password is temporary (invited, reset): until it is changed
    /// (`POST /auth/password`) every other request is refused.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub must_change_password: bool,
}

/// `POST /auth/password`: the current password and the new one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub projects: Vec<ProjectId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestRequest {
    pub project: ProjectId,
    /// The server's change counter the client last caught up with (0: never).
    pub cursor: u64,
    /// The device asking: its Automerge actor and its name, recorded with
    /// the actor so histories can say which device wrote what. Absent from
    /// older tablets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceHello>,
}

/// A device saying who it is (`ManifestRequest::device`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceHello {
    /// Its Automerge actor id, lowercase hex (`doc::writers::check_device_actor`).
    pub actor: String,
    /// Its name (the OS hostname unless set; `doc::writers::check_device_name`).
    #[serde(default)]
    pub name: Option<String>,
}

/// A device of the project with its name, for a tablet's histories.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceName {
    pub actor: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManifestResponse {
    pub cursor: u64,
    pub docs: Vec<DocHeads>,
    /// The server's clock when it answered (epoch ms; 0 from an older
    /// server): tablets date their events by it (see `defect.rs`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub server_time_ms: i64,
    /// How many bytes of other people's photos and floor plans a tablet may
    /// keep for offline work (the server's `tablet.photo_budget_mb`). Absent
    /// from older servers: the tablet keeps its own default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_budget_bytes: Option<u64>,
    /// The named devices of the project, so a tablet's histories can name
    /// the other tablets too. Absent from older servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceName>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocHeads {
    pub doc: DocKey,
    /// Change hashes, hex.
    pub heads: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangeRequest {
    pub project: ProjectId,
    pub docs: Vec<DocPush>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocPush {
    pub doc: DocKey,
    /// The client's heads (empty: it has nothing of this document).
    pub have: Vec<String>,
    /// Changes for the server (Automerge `save_after` bytes), possibly empty.
    #[serde(with = "b64")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
    pub changes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangeResponse {
    pub docs: Vec<DocReply>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocReply {
    pub doc: DocKey,
    /// The server's heads after applying the client's changes.
    pub heads: Vec<String>,
    /// Changes for the client, possibly empty.
    #[serde(with = "b64")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Byte))]
    pub changes: Vec<u8>,
    /// Why this document was refused (nothing of it was stored); the rest of
    /// the request went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every error response: a sentence for a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    /// For answers a program must tell apart, e.g. `ACCOUNT_DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// The code of a refusal because the account was disabled by the CS center.
pub const ACCOUNT_DISABLED: &str = "account_disabled";

/// The code of a refusal because the account's password is temporary and
/// must be changed first.
pub const PASSWORD_CHANGE_REQUIRED: &str = "password_change_required";

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

// ---- The CS center's console (project setup). ----

/// `POST /api/v1/projects`: a new project under the signed-in CS admin's
/// company, its standards copied from a library.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProjectRequest {
    pub id: ProjectId,
    pub name: crate::model::I18nText,
    pub handover_date: chrono::NaiveDate,
    /// The project's IANA time zone; `None`: Asia/Shanghai.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Copy templates, categories and trades from this project of the same
    /// company; `None`: from the standard library (the demo's standards).
    #[serde(default)]
    pub library: Option<ProjectId>,
}

/// One project in the list of those the user may see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSummary {
    pub id: ProjectId,
    pub name: crate::model::I18nText,
    pub handover_date: chrono::NaiveDate,
    /// The project's IANA time zone: front ends show its days and times in it.
    pub time_zone: String,
    pub buildings: usize,
    pub units: usize,
    pub rounds: usize,
}

/// `POST /api/v1/projects/{id}/edits`: applied in order, all or none, as
/// one change of the project document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditRequest {
    pub edits: Vec<crate::setup::ProjectEdit>,
}

/// Which column of a unit list holds what, by header text, and which row
/// is the header. A column left out is found by its usual English or
/// Chinese header; the header row, as the first row naming the columns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ColumnMapping {
    /// The header's row as the spreadsheet numbers it (1-based, counting
    /// title, note and blank rows above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building: Option<String>,
    /// Optional: the entrance (单元) within the building; when present it
    /// is part of the unit's address (`<entrance>-<number>`) and id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_type: Option<String>,
    /// Optional: the unit's id (default: building-number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Create unit types the project does not have yet (with a standard set
    /// of rooms, to be edited), instead of refusing their rows.
    #[serde(default)]
    pub new_unit_types: bool,
}

/// One problem with one row of an imported file, numbered as the
/// spreadsheet shows it (1-based, title and blank rows counted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub row: usize,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.row, self.reason)
    }
}

/// What importing a unit list would do, before anything is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitPreview {
    /// The header row used (as the spreadsheet numbers it) and its cells.
    pub header_row: usize,
    pub headers: Vec<String>,
    /// The first rows of the file (a few cells of each, shortened), to
    /// choose the header row from.
    pub first_rows: Vec<Vec<String>>,
    /// The mapping used: the given one, with the rest found by header.
    pub mapping: ColumnMapping,
    /// The units the file adds (all of them, in file order).
    pub units: Vec<crate::model::Unit>,
    pub new_buildings: Vec<crate::ids::BuildingId>,
    pub new_unit_types: Vec<crate::ids::UnitTypeId>,
    /// Every bad row; when there is one, importing adds nothing.
    pub errors: Vec<RowError>,
}

/// `POST /api/v1/projects/{id}/people`: an account for a person, with a
/// role and this project in its scope (an existing account gains the project).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRequest {
    pub username: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub org: String,
}

/// A person of the project with their account's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonAccount {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub org: String,
    pub disabled: bool,
    /// Every project in the account's scope.
    pub projects: Vec<ProjectId>,
}

/// An invitation or a reset: the password to hand over, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporaryPassword {
    pub user: PersonAccount,
    pub password: String,
}

/// One recorded act on a project: who, when, what kind of act, what (in
/// English words) and its particulars (old and new values where there are
/// some) for the console to say in either language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// RFC 3339.
    pub at: String,
    pub by: UserId,
    /// `setup`, `people`, `dispatch`, `reassign`, `link_created`,
    /// `link_revoked`, `robot_set`, `robot_removed`, `risk`,
    /// `report_issued`, `report_shared`, `share_revoked`.
    #[serde(default = "setup_kind")]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub kind: String,
    pub what: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub detail: serde_json::Value,
}

fn setup_kind() -> String {
    "setup".into()
}

/// `GET /projects/{p}/history`: an entry with its author's name and the
/// name of everything its particulars name (`names::history_names`), keyed
/// `<kind>:<id>` (`contractor:c-guan`, `unit:B1-0101`, `user:u-cs-wang`,
/// `building:B1`, `category:leak`, `trade:tiling`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryView {
    #[serde(flatten)]
    pub entry: HistoryEntry,
    pub by_name: crate::names::Shown,
    pub names: std::collections::BTreeMap<String, crate::names::Shown>,
}
