//! Prepared for the basement: after the documents, a tablet downloads what
//! an inspector needs where there is no network — a preview of every photo
//! of every open defect of the units it is assigned in the current and next
//! round (and of the units it has opened), whoever took it, and the unit
//! types' floor-plan images — within a storage budget the server sets.
//!
//! What to hold is decided from the documents (`wanted_in_unit`,
//! `units_to_prepare`: plain functions), written as one list in the store
//! (`Store::plan_offline`), then fetched one file at a time (`download`),
//! which records each file as it lands: a restart continues where it
//! stopped, and a file already here is never fetched again.

use crate::photos::{PhotoDir, Variant};
use crate::sync::{StoreAccess, SyncClient, SyncError};
use std::collections::BTreeMap;
use walkthrough_core::defect::{DefectStatus, EventKind};
use walkthrough_core::doc::UnitRecord;
use walkthrough_core::model::Project;
use walkthrough_core::*;

/// The store's meta key of the budget the server last announced.
pub const BUDGET_KEY: &str = "photo_budget_bytes";
/// The budget until a server says otherwise: 2 GB.
pub const DEFAULT_BUDGET_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// What a file held for offline work is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// A photo: its preview (and a thumbnail made from it).
    Photo,
    /// A unit type's floor-plan image, whole.
    Plan,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Photo => "photo",
            FileKind::Plan => "plan",
        }
    }
    pub fn parse(s: &str) -> Self {
        if s == "plan" {
            FileKind::Plan
        } else {
            FileKind::Photo
        }
    }
}

/// One file to hold; lower priorities are fetched first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    pub hash: PhotoHash,
    pub kind: FileKind,
    pub priority: u32,
}

/// Priorities: floor plans (few and small), then the current round's units,
/// the next round's, then units opened.
pub const PRIORITY_PLAN: u32 = 0;
pub const PRIORITY_CURRENT: u32 = 1;
pub const PRIORITY_NEXT: u32 = 2;
pub const PRIORITY_OPENED: u32 = 3;

/// How the offline files stand (for the status bar).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub wanted: u64,
    pub held: u64,
    pub over_budget: u64,
    pub missing: u64,
    pub bytes: u64,
}

/// The units to prepare, each with its priority: those `me` is assigned in
/// the current round and the next (the first two before any has started),
/// then those opened.
pub fn units_to_prepare(
    project: &Project,
    me: &UserId,
    now: walkthrough_core::time::Time,
    opened: &[UnitId],
) -> BTreeMap<UnitId, u32> {
    // Rounds start on local days of the project's zone (core::rules).
    let (current, next) = rules::current_and_next_round(project, now);
    let mut out = BTreeMap::new();
    for (round, priority) in [(current, PRIORITY_CURRENT), (next, PRIORITY_NEXT)] {
        let Some(round) = round else { continue };
        for u in project.assigned_units(round, me) {
            out.entry(u).or_insert(priority);
        }
    }
    for u in opened.iter().filter(|u| project.units.contains_key(*u)) {
        out.entry(u.clone()).or_insert(PRIORITY_OPENED);
    }
    out
}

/// Every photo of every defect of a unit still open, or accepted as a risk
/// (staff explain those at handover and are asked where): the inspectors'
/// marked photos, recheck photos and the contractors' evidence photos.
pub fn wanted_in_unit(record: &UnitRecord, priority: u32) -> Vec<Wanted> {
    let mut out = Vec::new();
    let needed = |s: DefectStatus| s.is_open() || s == DefectStatus::AcceptedRisk;
    for d in record.defects.values().filter(|d| needed(d.lifecycle().status)) {
        let events = d.events.iter().filter_map(|e| match &e.kind {
            EventKind::ReportedFixed { photo, .. } | EventKind::Rechecked { photo, .. } => photo.as_ref(),
            _ => None,
        });
        for hash in d.photos.keys().chain(events) {
            if !out.iter().any(|w: &Wanted| &w.hash == hash) {
                out.push(Wanted { hash: hash.clone(), kind: FileKind::Photo, priority });
            }
        }
    }
    out
}

/// The floor-plan images of the project's unit types (those uploaded: a
/// content hash; the fixtures' paths are not on any server).
pub fn wanted_plans(project: &Project) -> Vec<Wanted> {
    let mut out: Vec<Wanted> = Vec::new();
    for t in project.unit_types.values() {
        let Some(plan) = t.floor_plan.as_deref() else { continue };
        let is_hash = plan.len() == 64 && plan.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if is_hash && !out.iter().any(|w| w.hash.as_str() == plan) {
            out.push(Wanted { hash: PhotoHash::new(plan), kind: FileKind::Plan, priority: PRIORITY_PLAN });
        }
    }
    out
}

/// Work out what to hold for `me` across `projects`, reading one unit per
/// turn with the store, and write it as the new list. Copies of files no
/// longer wanted are deleted (never a photo taken on this tablet).
pub fn plan(
    store: &impl StoreAccess,
    photos: &PhotoDir,
    projects: &[ProjectId],
    me: &UserId,
    now: walkthrough_core::time::Time,
) -> crate::Result<()> {
    let mut wanted: Vec<Wanted> = Vec::new();
    for id in projects {
        let found = store.with_store(|s| -> crate::Result<_> {
            let Ok(project) = s.project(id) else { return Ok(None) };
            let opened = s.opened_units(id)?;
            Ok(Some((project, opened)))
        })?;
        let Some((project, opened)) = found else { continue };
        wanted.extend(wanted_plans(&project));
        for (unit, priority) in units_to_prepare(&project, me, now, &opened) {
            let key = walkthrough_core::doc::DocKey::Unit(id.clone(), unit.clone());
            let record = store.with_store(|s| -> crate::Result<_> {
                if !s.has_doc(&key)? {
                    return Ok(None);
                }
                s.unit(id, &unit).map(Some)
            })?;
            if let Some(record) = record {
                wanted.extend(wanted_in_unit(&record, priority));
            }
        }
    }
    // A file wanted twice keeps its most urgent priority.
    wanted.sort_by(|a, b| a.hash.cmp(&b.hash).then(a.priority.cmp(&b.priority)));
    wanted.dedup_by(|a, b| a.hash == b.hash);
    let stale = store.with_store(|s| s.plan_offline(&wanted))?;
    for hash in stale {
        photos.forget_downloaded(&hash);
    }
    Ok(())
}

/// Progress of the downloads: files done of the total, bytes held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Downloaded {
    pub done: u64,
    pub total: u64,
    pub bytes: u64,
}

/// Fetch what the list wants and this tablet lacks, most needed first,
/// within `budget` bytes. The store is reached only between files. An
/// unreachable server stops the downloads (`SyncError::Offline`); what
/// landed is kept and the rest waits for the next sync.
pub fn download(
    client: &SyncClient,
    store: &impl StoreAccess,
    photos: &PhotoDir,
    progress: &mut dyn FnMut(Downloaded),
) -> Result<Downloaded, SyncError> {
    let (todo, counts, budget) = store.with_store(|s| -> crate::Result<_> {
        let budget = s.meta(BUDGET_KEY)?.and_then(|b| b.parse().ok()).unwrap_or(DEFAULT_BUDGET_BYTES);
        Ok((s.offline_todo()?, s.offline_counts()?, budget))
    })?;
    let mut state = Downloaded { done: counts.held, total: counts.wanted, bytes: counts.bytes };
    progress(state);
    for (hash, kind) in todo {
        let here = match kind {
            FileKind::Photo => photos.can_show(&hash),
            FileKind::Plan => photos.has(&hash),
        };
        let (outcome, bytes) = if here {
            ("held", 0)
        } else if state.bytes >= budget {
            ("over_budget", 0)
        } else {
            match fetch(client, photos, &hash, kind) {
                Ok(n) if state.bytes + n > budget => {
                    photos.forget_downloaded(&hash);
                    ("over_budget", 0)
                }
                Ok(n) => ("held", n),
                // Not on the server (yet), or not for this account: said so,
                // and asked again at the next sync.
                Err(SyncError::Rejected { status, .. }) if status != 401 && status != 403 && status < 500 => {
                    ("missing", 0)
                }
                // A file the server sent that is not what it should be is
                // not kept; it is tried again at the next sync.
                Err(SyncError::Store(crate::Error::Photo(why))) => {
                    tracing::warn!(%hash, %why, "a downloaded file was refused");
                    ("wanted", 0)
                }
                Err(e) => return Err(e),
            }
        };
        store.with_store(|s| s.offline_record(&hash, outcome, bytes))?;
        if outcome == "held" {
            state.done += 1;
            state.bytes += bytes;
        }
        progress(state);
    }
    Ok(state)
}

/// One file from the server into the photo folder; the bytes it takes.
fn fetch(client: &SyncClient, photos: &PhotoDir, hash: &PhotoHash, kind: FileKind) -> Result<u64, SyncError> {
    match kind {
        FileKind::Photo => {
            let preview = client.fetch_blob(hash, true)?;
            Ok(photos.keep_preview(hash, &preview)?)
        }
        FileKind::Plan => {
            let bytes = client.fetch_blob(hash, false)?;
            crate::photos::validate_floor_plan(&bytes).map_err(|why| SyncError::Store(crate::Error::Photo(why)))?;
            photos.keep_original(hash, &bytes)?;
            Ok(bytes.len() as u64)
        }
    }
}

/// The original of a photo shown here only as a preview, fetched on demand
/// (when online) and kept.
pub fn fetch_original(client: &SyncClient, photos: &PhotoDir, hash: &PhotoHash) -> Result<(), SyncError> {
    let bytes = client.fetch_blob(hash, false)?;
    crate::photos::validate(&bytes)?;
    photos.keep_original(hash, &bytes)?;
    if !photos.has_variant(hash, Variant::Preview) {
        // Taken elsewhere and never prefetched: make its preview and
        // thumbnail as the photographer's tablet did.
        photos.ingest(&bytes)?;
    }
    Ok(())
}
