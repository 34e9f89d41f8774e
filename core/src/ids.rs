//! Identifier newtypes. Configuration entities (buildings, categories, …) have
//! short human-readable codes chosen by the CS center; records created in the
//! field (defects, events, marks) have UUIDv7s so that tablets can mint them
//! offline without coordination.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! code_id {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub String);
        impl $name {
            pub fn new(s: impl Into<String>) -> Self { Self(s.into()) }
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self { Self(s.to_owned()) }
        }
    )*};
}

code_id!(
    /// A company (公司) in the group.
    CompanyId,
    /// A project (项目/楼盘).
    ProjectId,
    /// A building (楼栋) within a project.
    BuildingId,
    /// A unit (户), unique within a project, e.g. `1-0302`.
    UnitId,
    /// A unit type (户型).
    UnitTypeId,
    /// A room within a unit type, e.g. `bed2`.
    RoomId,
    /// A checklist item code, e.g. `KIT-03`.
    ItemCode,
    /// A checklist template.
    TemplateId,
    /// A defect category from the project's fixed list.
    CategoryId,
    /// A trade (工种), e.g. waterproofing.
    TradeId,
    /// A contractor or supplier.
    ContractorId,
    /// A person with an account: inspector, CS staff, engineer, contractor.
    UserId,
    /// An element of a unit (door, window, cabinet, floor tiles…).
    ElementId,
    /// A photo's content address: lowercase hex SHA-256 of the original bytes.
    PhotoHash,
);

/// The longest code the CS center may choose.
pub const MAX_CODE_LEN: usize = 64;

/// Whether `code` may be a new code chosen by the CS center (a project,
/// building, unit, unit type, room, template, checklist item, category,
/// trade, contractor, element, person or username): 1 to 64 characters of
/// ASCII letters, digits, `.`, `_` and `-`, starting with a letter or
/// digit — `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`. Codes travel in URLs, file
/// names, document keys (`<id>/<field>`) and HTML, so no quote, slash,
/// space or control character may be in one. The refusal says why in words
/// (`what` names the code, e.g. "a project id").
pub fn check_code(what: &str, code: &str) -> Result<(), String> {
    // Shown as typed, with control characters made visible.
    let shown: String = code
        .chars()
        .take(80)
        .flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
        .collect();
    let Some(first) = code.chars().next() else {
        return Err(format!("{what} is required"));
    };
    if !first.is_ascii_alphanumeric() {
        return Err(format!("{what} \"{shown}\" must start with a letter (A–Z, a–z) or a digit"));
    }
    if let Some(bad) = code.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        let bad = match bad {
            ' ' => "a space".to_owned(),
            c if c.is_control() => format!("a control character ({})", c.escape_unicode()),
            c => format!("{c:?}"),
        };
        return Err(format!(
            "{what} \"{shown}\" cannot contain {bad}: use only letters A–Z and a–z, digits, '.', '_' and '-'"
        ));
    }
    if code.len() > MAX_CODE_LEN {
        return Err(format!("{what} \"{shown}…\" is too long: at most {MAX_CODE_LEN} characters"));
    }
    Ok(())
}

macro_rules! uuid_id {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);
        impl $name {
            /// A fresh UUIDv7 from the system clock and randomness.
            pub fn new_v7() -> Self { Self(Uuid::now_v7()) }
            /// A UUIDv7 from given parts, for deterministic tests and generators.
            pub fn from_parts(unix_millis: u64, random: [u8; 10]) -> Self {
                Self(uuid::Builder::from_unix_timestamp_millis(unix_millis, &random).into_uuid())
            }
            pub fn parse(s: &str) -> Option<Self> { Uuid::parse_str(s).ok().map(Self) }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { self.0.fmt(f) }
        }
    )*};
}

uuid_id!(
    /// A defect, minted by the tablet that recorded it.
    DefectId,
    /// One event in a defect's history.
    EventId,
    /// One mark (circle, arrow, label) drawn on a photo.
    MarkId,
);

/// A round number: 1, 2, 3, … (at least three rounds are run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct RoundNo(pub u32);

impl fmt::Display for RoundNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
