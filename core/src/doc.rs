//! The Automerge documents: one per unit (its results and defects across all
//! rounds) and one per project (structure, templates, categories, people,
//! plans).
//!
//! Schema rules, each there to make concurrent offline edits merge well:
//! - Every collection is a map keyed by id, never a positional list.
//! - A document starts from a deterministic genesis change (fixed actor, time
//!   and content), so two tablets that create the same unit document offline
//!   share its root maps instead of creating rival ones.
//! - Each user action is one change (granular history keeps sync messages
//!   small; see shared/automerge-notes.md).
//! - Values that must change together are one scalar: a pin is one string
//!   "x,y", a photo mark is one JSON string, an event is one JSON string.
//!   Values that may change apart (a defect's description and its category)
//!   are separate keys, so concurrent edits to different fields both survive.
//! - Defect events are immutable and keyed by UUIDv7: concurrent events are
//!   all kept, and the defect's state is folded from them (see `defect`).
//!
//! Reading is one sequential scan of two flat maps, without a generic
//! hydrate (see BENCHMARKS.md for the figures).

pub mod check;
pub mod project;
pub mod writers;
pub use project::ProjectDoc;

use crate::defect::{Defect, DefectEvent, EventKind, Mark, Photo, Shape, Source};
use crate::error::{Error, Result};
use crate::ids::*;
use crate::model::{Point, Project, ResultKey, Severity};
use crate::rules::{self, Outcome, RecheckEntry, UnitStatus};
use crate::time::{self, Time};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version written into every document.
pub const SCHEMA_VERSION: i64 = 1;
pub const GENESIS_ACTOR: &[u8] = b"walkthrough-genesis";

/// Which document: a project's, or one of its units'. Its string form is
/// the key documents are stored and synced under.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocKey {
    Project(ProjectId),
    Unit(ProjectId, UnitId),
}

impl DocKey {
    pub fn project(&self) -> &ProjectId {
        match self {
            DocKey::Project(p) | DocKey::Unit(p, _) => p,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.splitn(3, '/');
        let project = ProjectId::new(it.next().filter(|p| !p.is_empty())?);
        match (it.next()?, it.next()) {
            ("project", None) => Some(DocKey::Project(project)),
            ("unit", Some(u)) if !u.is_empty() && !u.contains('/') => Some(DocKey::Unit(project, UnitId::new(u))),
            _ => None,
        }
    }
}

impl std::fmt::Display for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocKey::Project(p) => write!(f, "{p}/project"),
            DocKey::Unit(p, u) => write!(f, "{p}/unit/{u}"),
        }
    }
}

impl Serialize for DocKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A document key travels as its text: `<project>/project` or `<project>/unit/<unit>`.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for DocKey {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A document: `<project>/project` or `<project>/unit/<unit>`."))
            .examples(["demo/unit/1-0302"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for DocKey {}

impl<'de> Deserialize<'de> for DocKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DocKey::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a document key")))
    }
}

/// A unit's recorded result for one checklist line in one round (the round
/// and line are its key in `UnitRecord::results`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    pub outcome: Outcome,
    pub by: UserId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Time,
    pub note: Option<String>,
}

/// Everything in a unit document, as the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitRecord {
    pub project: ProjectId,
    pub unit: UnitId,
    pub results: BTreeMap<(RoundNo, ResultKey), ItemResult>,
    pub defects: BTreeMap<DefectId, Defect>,
}

impl UnitRecord {
    pub fn outcomes(&self, round: RoundNo) -> BTreeMap<ResultKey, Outcome> {
        self.results.iter().filter(|((r, _), _)| *r == round).map(|((_, k), v)| (k.clone(), v.outcome)).collect()
    }

    pub fn recheck_queue(&self, round: RoundNo) -> Vec<RecheckEntry> {
        rules::recheck_queue(self.defects.values(), round)
    }

    /// Defects found up to `round` that are still open.
    pub fn open_defects(&self, round: RoundNo) -> usize {
        self.defects.values().filter(|d| d.found_round <= round && d.lifecycle().status.is_open()).count()
    }

    pub fn status(&self, project: &Project, round: RoundNo) -> UnitStatus {
        let checklist: Vec<ResultKey> = project.checklist(&self.unit).iter().map(|e| e.key()).collect();
        rules::unit_status(&checklist, &self.outcomes(round), &self.recheck_queue(round), self.open_defects(round))
    }
}

/// A change to one field of a defect (each is recorded as an `Edited` event too).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum DefectEdit {
    Room(RoomId),
    Element(ElementId),
    Spot(String),
    Pin(Option<Point>),
    Description(String),
    Category { category: CategoryId, other_reason: Option<String> },
    RootCause { root_cause: Option<CategoryId>, note: Option<String> },
    Severity(Severity),
    Trade(TradeId),
    Responsible(Option<ContractorId>),
}

/// One unit's Automerge document.
pub struct UnitDoc {
    doc: AutoCommit,
}

fn genesis_doc(kind: &str, project: &ProjectId, id: &str, maps: &[&str]) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(GENESIS_ACTOR));
    doc.put(ROOT, "schema", SCHEMA_VERSION).expect("put on a fresh doc");
    doc.put(ROOT, "kind", kind).expect("put on a fresh doc");
    doc.put(ROOT, "project", project.as_str()).expect("put on a fresh doc");
    doc.put(ROOT, "id", id).expect("put on a fresh doc");
    for m in maps {
        doc.put_object(ROOT, *m, ObjType::Map).expect("put on a fresh doc");
    }
    doc.commit_with(CommitOptions::default().with_time(0).with_message("genesis"));
    doc.set_actor(ActorId::random());
    doc
}

fn check_kind(doc: &AutoCommit, expected: &'static str) -> Result<()> {
    let kind = get_str(doc, &ROOT, "kind");
    let schema = get_i64(doc, &ROOT, "schema");
    match (kind.as_deref(), schema) {
        (Some(k), Some(SCHEMA_VERSION)) if k == expected => Ok(()),
        (Some(k), Some(v)) if k == expected => Err(Error::WrongDocument {
            expected,
            detail: format!("schema version {v} is not supported (this build reads {SCHEMA_VERSION})"),
        }),
        (k, _) => Err(Error::WrongDocument { expected, detail: format!("its kind is {:?}", k.unwrap_or("missing")) }),
    }
}

fn commit(doc: &mut AutoCommit, what: &str, by: &UserId, at: Time) {
    doc.commit_with(CommitOptions::default().with_time(at.timestamp()).with_message(format!("{what} by {by}")));
}

pub fn result_key_string(round: RoundNo, key: &ResultKey) -> String {
    format!("{}/{}/{}", round.0, key.room, key.item)
}

fn parse_result_key(s: &str) -> Option<(RoundNo, ResultKey)> {
    let mut it = s.splitn(3, '/');
    let round = it.next()?.parse().ok()?;
    let room = RoomId::new(it.next()?);
    let item = ItemCode::new(it.next()?);
    Some((RoundNo(round), ResultKey { room, item }))
}

/// Separates the parts of a stored result (a control character that no id
/// or typed note contains; it is stripped from notes).
const SEP: char = '\u{1f}';

fn encode_result(outcome: Outcome, by: &UserId, at: Time, note: Option<&str>) -> String {
    let mut s = format!("{}{SEP}{}{SEP}{}", outcome.as_str(), by, at.timestamp_millis());
    if let Some(n) = note {
        s.push(SEP);
        s.extend(n.chars().filter(|c| *c != SEP));
    }
    s
}

fn decode_result(s: &str) -> Option<(Outcome, UserId, Time, Option<String>)> {
    let mut it = s.splitn(4, SEP);
    let outcome = Outcome::parse(it.next()?)?;
    let by = UserId::new(it.next()?);
    let at = time::from_millis(it.next()?.parse().ok()?);
    Some((outcome, by, at, it.next().map(str::to_owned)))
}

/// Two values that must change together, as one stored string.
fn join2(a: &str, b: Option<&str>) -> String {
    match b {
        Some(b) => format!("{a}{SEP}{}", b.replace(SEP, "")),
        None => a.to_owned(),
    }
}

fn split2(s: String) -> (String, Option<String>) {
    match s.split_once(SEP) {
        Some((a, b)) => (a.to_owned(), Some(b.to_owned())),
        None => (s, None),
    }
}

fn root_cause_string(root_cause: Option<&CategoryId>, note: Option<&str>) -> Option<String> {
    match (root_cause, note) {
        (None, None) => None,
        (rc, note) => Some(join2(rc.map_or("", |c| c.as_str()), note)),
    }
}

fn pin_string(p: Point) -> String {
    format!("{},{}", p.x, p.y)
}

fn parse_pin(s: &str) -> Option<Point> {
    let (x, y) = s.split_once(',')?;
    Some(Point { x: x.parse().ok()?, y: y.parse().ok()? })
}

impl UnitDoc {
    /// The unit's document as every replica starts it: byte-for-byte the
    /// same change wherever it is made, so offline creation merges cleanly.
    pub fn genesis(project: &ProjectId, unit: &UnitId) -> Self {
        Self { doc: genesis_doc("unit", project, unit.as_str(), &["results", "defects"]) }
    }

    pub fn load(bytes: &[u8]) -> Result<Self> {
        let doc = AutoCommit::load(bytes)?;
        Self::from_automerge(doc)
    }

    pub fn from_automerge(doc: AutoCommit) -> Result<Self> {
        check_kind(&doc, "unit")?;
        Ok(Self { doc })
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// Set the actor (one per device) that authors the next changes.
    pub fn set_actor(&mut self, actor: ActorId) {
        self.doc.set_actor(actor);
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Check the changes made since `before` against what `writer` may do
    /// (`check::check_unit_changes`, the rule the server applies too).
    pub fn check_changes_since(
        &mut self,
        before: &[ChangeHash],
        writer: &check::Writer,
        now: Time,
    ) -> std::result::Result<(), String> {
        let changes = self.doc.get_changes(before);
        let project = ProjectId::new(get_str(&self.doc, &ROOT, "project").unwrap_or_default());
        check::check_unit_changes(&self.doc, before, &changes, &project, &self.unit_id(), writer, now)
    }

    pub fn merge(&mut self, other: &mut UnitDoc) -> Result<()> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    pub fn unit_id(&self) -> UnitId {
        UnitId::new(get_str(&self.doc, &ROOT, "id").unwrap_or_default())
    }

    fn map(&self, key: &str) -> Result<ObjId> {
        get_obj(&self.doc, &ROOT, key).ok_or_else(|| Error::BadField { path: key.to_owned() })
    }

    fn defects(&self) -> Result<ObjId> {
        self.map("defects")
    }

    /// The defects map, if defect `id` is in it.
    fn defect_map(&self, id: DefectId) -> Result<ObjId> {
        let m = self.defects()?;
        match self.doc.get(&m, defect_key(id, "found_by"))? {
            Some(_) => Ok(m),
            None => Err(Error::NoSuchDefect(id)),
        }
    }

    /// Record (or change) the outcome of one checklist line in a round.
    pub fn record_result(
        &mut self,
        round: RoundNo,
        key: &ResultKey,
        outcome: Outcome,
        by: &UserId,
        at: Time,
        note: Option<&str>,
    ) -> Result<()> {
        let results = self.map("results")?;
        // One scalar per write: outcome, author, time and note stay together,
        // and a concurrent write by another inspector is a visible conflict,
        // never a mix of the two.
        let value = encode_result(outcome, by, at, note);
        self.doc.put(&results, result_key_string(round, key), value)?;
        commit(&mut self.doc, "result", by, at);
        Ok(())
    }

    /// Add a new defect with its photos and initial events, as one change.
    pub fn add_defect(&mut self, d: &Defect) -> Result<()> {
        if d.pin.is_some_and(|p| !p.is_normalised()) {
            return Err(Error::Invalid("a floor-plan pin must lie within the plan (0–1 across and down)".into()));
        }
        if let Some(m) = d.photos.values().flat_map(|p| p.marks.values()).find(|m| !m.shape.is_valid()) {
            return Err(Error::Invalid(format!(
                "mark {} must lie within the photo (a label needs 1–40 characters)",
                m.id
            )));
        }
        let m = self.defects()?;
        if self.doc.get(&m, defect_key(d.id, "found_by"))?.is_some() {
            // A retried create is harmless: the defect is already here.
            return Err(Error::DuplicateDefect(d.id));
        }
        let s = |v: &str| v.to_owned();
        let fields: [(&str, Option<String>); 14] = [
            ("unit", Some(s(d.unit.as_str()))),
            ("room", Some(s(d.room.as_str()))),
            ("item", d.item.as_ref().map(|i| s(i.as_str()))),
            ("element", Some(s(d.element.as_str()))),
            ("spot", Some(d.spot.clone())),
            ("pin", d.pin.map(pin_string)),
            ("description", Some(d.description.clone())),
            ("category", Some(join2(d.category.as_str(), d.other_reason.as_deref()))),
            ("root_cause", root_cause_string(d.root_cause.as_ref(), d.root_cause_note.as_deref())),
            ("severity", Some(s(d.severity.as_str()))),
            ("source", Some(s(d.source.as_str()))),
            ("trade", Some(s(d.trade.as_str()))),
            ("responsible", d.responsible.as_ref().map(|c| s(c.as_str()))),
            ("found_by", Some(s(d.found_by.as_str()))),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                self.doc.put(&m, defect_key(d.id, k), v)?;
            }
        }
        self.doc.put(&m, defect_key(d.id, "found_round"), u64::from(d.found_round.0))?;
        self.doc.put(&m, defect_key(d.id, "found_at"), ScalarValue::Timestamp(d.found_at.timestamp_millis()))?;
        for p in d.photos.values() {
            put_photo(&mut self.doc, &m, d.id, p)?;
        }
        for e in &d.events {
            self.doc.put(&m, event_key(d.id, e.id), serde_json::to_string(e)?)?;
        }
        commit(&mut self.doc, "defect", &d.found_by, d.found_at);
        Ok(())
    }

    /// Append an event to a defect's history.
    pub fn add_event(&mut self, defect: DefectId, event: &DefectEvent) -> Result<()> {
        let m = self.defect_map(defect)?;
        self.doc.put(&m, event_key(defect, event.id), serde_json::to_string(event)?)?;
        commit(&mut self.doc, event.kind.type_name(), &event.by, event.at);
        Ok(())
    }

    /// Change one field of a defect and record the edit in its history.
    pub fn edit_defect(
        &mut self,
        defect: DefectId,
        edit: &DefectEdit,
        event_id: EventId,
        by: &UserId,
        at: Time,
        round: RoundNo,
    ) -> Result<()> {
        let m = self.defect_map(defect)?;
        let current = self.read_defect(defect)?.lifecycle().status;
        if current.is_terminal() {
            return Err(Error::DefectClosed(defect, current.as_str()));
        }
        let owned = |v: &str| Some(v.to_owned());
        // Each edit writes one key; values that must agree share one key.
        let (field, value): (&str, Option<String>) = match edit {
            DefectEdit::Room(v) => ("room", owned(v.as_str())),
            DefectEdit::Element(v) => ("element", owned(v.as_str())),
            DefectEdit::Spot(v) => ("spot", owned(v)),
            DefectEdit::Pin(p) => {
                if p.is_some_and(|p| !p.is_normalised()) {
                    return Err(Error::Invalid(
                        "a floor-plan pin must lie within the plan (0–1 across and down)".into(),
                    ));
                }
                ("pin", p.map(pin_string))
            }
            DefectEdit::Description(v) => ("description", owned(v)),
            DefectEdit::Category { category, other_reason } => {
                ("category", Some(join2(category.as_str(), other_reason.as_deref())))
            }
            DefectEdit::RootCause { root_cause, note } => {
                ("root_cause", root_cause_string(root_cause.as_ref(), note.as_deref()))
            }
            DefectEdit::Severity(v) => ("severity", owned(v.as_str())),
            DefectEdit::Trade(v) => ("trade", owned(v.as_str())),
            DefectEdit::Responsible(v) => ("responsible", v.as_ref().map(|c| c.0.clone())),
        };
        let key = defect_key(defect, field);
        match &value {
            Some(v) => self.doc.put(&m, key, v.as_str())?,
            None if self.doc.get(&m, key.as_str())?.is_some() => self.doc.delete(&m, key)?,
            None => {}
        }
        // The event carries the stored value exactly, so that a conflict on
        // the field resolves to the latest edit in the history (see `read`).
        let shown = (field, value.unwrap_or_default());
        let event = DefectEvent {
            id: event_id,
            at,
            device_at: None,
            by: by.clone(),
            round,
            kind: EventKind::Edited { field: shown.0.to_owned(), value: shown.1 },
        };
        self.doc.put(&m, event_key(defect, event.id), serde_json::to_string(&event)?)?;
        commit(&mut self.doc, "edit", by, at);
        Ok(())
    }

    /// Attach a photo to a defect (idempotent by hash).
    pub fn add_photo(&mut self, defect: DefectId, photo: &Photo) -> Result<()> {
        let m = self.defect_map(defect)?;
        if self.doc.get(&m, photo_key(defect, &photo.hash))?.is_some() {
            return Ok(());
        }
        put_photo(&mut self.doc, &m, defect, photo)?;
        commit(&mut self.doc, "photo", &photo.added_by, photo.added_at);
        Ok(())
    }

    /// Add or replace one mark on a photo.
    pub fn put_mark(&mut self, defect: DefectId, photo: &PhotoHash, mark: &Mark, by: &UserId, at: Time) -> Result<()> {
        if !mark.shape.is_valid() {
            return Err(Error::Invalid(format!(
                "mark {} is not a valid shape: coordinates must be within the photo and a label needs 1–40 characters",
                mark.id
            )));
        }
        let m = self.photo_map(defect, photo)?;
        self.doc.put(&m, mark_key(defect, photo, mark.id), mark.shape.encode())?;
        commit(&mut self.doc, "mark", by, at);
        Ok(())
    }

    pub fn delete_mark(
        &mut self,
        defect: DefectId,
        photo: &PhotoHash,
        mark: MarkId,
        by: &UserId,
        at: Time,
    ) -> Result<()> {
        let m = self.photo_map(defect, photo)?;
        let key = mark_key(defect, photo, mark);
        if self.doc.get(&m, key.as_str())?.is_some() {
            self.doc.delete(&m, key)?;
            commit(&mut self.doc, "unmark", by, at);
        }
        Ok(())
    }

    /// The defects map, if `photo` is attached to `defect`.
    fn photo_map(&self, defect: DefectId, photo: &PhotoHash) -> Result<ObjId> {
        let m = self.defect_map(defect)?;
        match self.doc.get(&m, photo_key(defect, photo))? {
            Some(_) => Ok(m),
            None => Err(Error::Invalid(format!("photo {photo} is not attached to defect {defect}"))),
        }
    }

    /// Every value a defect field holds right now: more than one while
    /// concurrent edits conflict. The first is the one everybody sees.
    pub fn field_values(&self, defect: DefectId, field: &str) -> Result<Vec<String>> {
        let m = self.defect_map(defect)?;
        let all = self.doc.get_all(&m, defect_key(defect, field))?;
        // get_all lists conflicts in op order; the winner is the last.
        Ok(all.into_iter().rev().filter_map(|(v, _)| v.as_str().map(str::to_owned)).collect())
    }

    /// Every result recorded concurrently for one line, latest first (one
    /// unless inspectors disagreed offline).
    pub fn result_values(&self, round: RoundNo, key: &ResultKey) -> Result<Vec<ItemResult>> {
        let all = self.doc.get_all(&self.map("results")?, result_key_string(round, key))?;
        let mut out: Vec<ItemResult> = all
            .into_iter()
            .filter_map(|(v, _)| v.as_str().and_then(decode_result))
            .map(|(outcome, by, at, note)| ItemResult { outcome, by, at, note })
            .collect();
        out.sort_by(|a, b| (b.at, &b.by).cmp(&(a.at, &a.by)));
        Ok(out)
    }

    /// Read the whole unit into the model.
    pub fn read(&self) -> Result<UnitRecord> {
        self.read_results_in(..)
    }

    /// Read the unit with only one round's results (all of its defects):
    /// what opening a unit for an inspection round needs.
    pub fn read_round(&self, round: RoundNo) -> Result<UnitRecord> {
        // '0' follows '/', so this is exactly the keys "<round>/…".
        self.read_results_in(format!("{round}/")..format!("{round}0"))
    }

    fn read_results_in(&self, range: impl std::ops::RangeBounds<String> + 'static) -> Result<UnitRecord> {
        let project = ProjectId::new(get_str(&self.doc, &ROOT, "project").unwrap_or_default());
        let unit = self.unit_id();
        let mut results = BTreeMap::new();
        let robj = self.map("results")?;
        for item in self.doc.map_range(&robj, range) {
            let Some((round, key)) = parse_result_key(&item.key) else {
                continue;
            };
            let automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(v)) = &item.value else {
                continue;
            };
            let result = if item.conflict {
                // Two inspectors recorded this line concurrently: the later
                // inspection is shown (both stay visible in `result_values`).
                self.result_values(round, &key)?.into_iter().next()
            } else {
                decode_result(v).map(|(outcome, by, at, note)| ItemResult { outcome, by, at, note })
            };
            if let Some(r) = result {
                results.insert((round, key), r);
            }
        }
        // Keys sort by defect id, so each defect's entries are contiguous.
        let mut defects = BTreeMap::new();
        let mut current: Option<(String, DefectId, DefectParts)> = None;
        let dmap = self.defects()?;
        for item in self.doc.map_range(&dmap, ..) {
            let Some((id, rest)) = split_defect_key(&item.key) else { continue };
            if current.as_ref().is_none_or(|(cur, _, _)| cur != id) {
                if let Some((_, cur, mut parts)) = current.take() {
                    parts.resolve_conflicts(&self.doc, &dmap, cur)?;
                    defects.insert(cur, parts.finish(cur)?);
                }
                let Some(parsed) = DefectId::parse(id) else { continue };
                current = Some((id.to_owned(), parsed, DefectParts::default()));
            }
            if let Some((_, _, parts)) = current.as_mut() {
                parts.feed(rest, &item.value, item.conflict);
            }
        }
        if let Some((_, cur, mut parts)) = current.take() {
            parts.resolve_conflicts(&self.doc, &dmap, cur)?;
            defects.insert(cur, parts.finish(cur)?);
        }
        Ok(UnitRecord { project, unit, results, defects })
    }

    pub fn read_defect(&self, id: DefectId) -> Result<Defect> {
        let m = self.defect_map(id)?;
        let mut parts = DefectParts::default();
        // '0' is the character after '/', so this range is exactly "<id>/…".
        for item in self.doc.map_range(&m, format!("{id}/")..format!("{id}0")) {
            if let Some((_, rest)) = split_defect_key(&item.key) {
                parts.feed(rest, &item.value, item.conflict);
            }
        }
        parts.resolve_conflicts(&self.doc, &m, id)?;
        parts.finish(id)
    }
}

/// Split `<defect id>/<rest>`; ids are hyphenated UUIDs, 36 characters.
fn split_defect_key(key: &str) -> Option<(&str, &str)> {
    match (key.get(..36), key.as_bytes().get(36), key.get(37..)) {
        (Some(id), Some(b'/'), Some(rest)) => Some((id, rest)),
        _ => None,
    }
}

fn defect_key(id: DefectId, field: &str) -> String {
    format!("{id}/{field}")
}

fn event_key(id: DefectId, event: EventId) -> String {
    format!("{id}/event/{event}")
}

fn photo_key(id: DefectId, photo: &PhotoHash) -> String {
    format!("{id}/photo/{photo}")
}

fn mark_key(id: DefectId, photo: &PhotoHash, mark: MarkId) -> String {
    format!("{id}/mark/{photo}/{mark}")
}

fn put_photo(doc: &mut AutoCommit, m: &ObjId, id: DefectId, p: &Photo) -> Result<()> {
    doc.put(m, photo_key(id, &p.hash), format!("{}{SEP}{}", p.added_by, p.added_at.timestamp_millis()))?;
    for mark in p.marks.values() {
        doc.put(m, mark_key(id, &p.hash, mark.id), mark.shape.encode())?;
    }
    Ok(())
}

/// A defect's string-valued fields as stored in the document.
const STRING_FIELDS: [&str; 14] = [
    "unit",
    "room",
    "item",
    "element",
    "spot",
    "pin",
    "description",
    "category",
    "root_cause",
    "severity",
    "source",
    "trade",
    "responsible",
    "found_by",
];

/// The entries of one defect, gathered while scanning the defects map.
#[derive(Default)]
struct DefectParts {
    /// The string fields, in the order of `STRING_FIELDS`.
    fields: [Option<String>; 14],
    /// Fields whose value is in conflict between concurrent edits.
    conflicted: Vec<&'static str>,
    found_round: Option<RoundNo>,
    found_at: Option<Time>,
    photos: BTreeMap<PhotoHash, Photo>,
    marks: Vec<(PhotoHash, Mark)>,
    events: Vec<DefectEvent>,
}

impl DefectParts {
    fn feed(&mut self, rest: &str, value: &automerge::ValueRef<'_>, conflict: bool) {
        use automerge::ScalarValueRef as S;
        let automerge::ValueRef::Scalar(v) = value else { return };
        match (rest, v) {
            ("found_round", S::Uint(n)) => self.found_round = Some(RoundNo(*n as u32)),
            ("found_at", S::Timestamp(t)) => self.found_at = Some(time::from_millis(*t)),
            (_, S::Str(s)) => {
                if rest.starts_with("event/") {
                    // An event this build cannot read (from a newer schema)
                    // is skipped rather than failing the whole unit.
                    if let Ok(e) = serde_json::from_str::<DefectEvent>(s) {
                        self.events.push(e);
                    }
                } else if let Some(hash) = rest.strip_prefix("photo/") {
                    let (by, at) = s.split_once(SEP).unwrap_or((s, "0"));
                    let hash = PhotoHash::new(hash);
                    let added_at = time::from_millis(at.parse().unwrap_or(0));
                    self.photos.insert(
                        hash.clone(),
                        Photo { hash, added_by: UserId::new(by), added_at, marks: BTreeMap::new() },
                    );
                } else if let Some(m) = rest.strip_prefix("mark/") {
                    if let (Some((hash, id)), Some(shape)) = (m.split_once('/'), Shape::decode(s)) {
                        if let Some(id) = MarkId::parse(id) {
                            self.marks.push((PhotoHash::new(hash), Mark { id, shape }));
                        }
                    }
                } else if let Some(i) = STRING_FIELDS.iter().position(|f| *f == rest) {
                    self.fields[i] = Some(s.to_string());
                    if conflict {
                        self.conflicted.push(STRING_FIELDS[i]);
                    }
                }
            }
            _ => {}
        }
    }

    /// Concurrent edits of one field: show the value of the latest edit in
    /// the defect's history (time, then event id), so that what is shown and
    /// what the history says agree on every replica. Automerge's own winner
    /// (by actor) is the fallback when no edit event matches.
    fn resolve_conflicts(&mut self, doc: &AutoCommit, map: &ObjId, id: DefectId) -> Result<()> {
        for field in std::mem::take(&mut self.conflicted) {
            let values: Vec<String> = doc
                .get_all(map, defect_key(id, field))?
                .into_iter()
                .filter_map(|(v, _)| v.as_str().map(str::to_owned))
                .collect();
            let latest = self
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Edited { field: f, value } if f == field && values.contains(value) => {
                        Some((e.at, e.id, value))
                    }
                    _ => None,
                })
                .max();
            if let (Some((_, _, value)), Some(i)) = (latest, STRING_FIELDS.iter().position(|f| *f == field)) {
                self.fields[i] = Some(value.clone());
            }
        }
        Ok(())
    }

    fn finish(mut self, id: DefectId) -> Result<Defect> {
        let bad = |f: &str| Error::BadField { path: format!("defects/{id}/{f}") };
        for (hash, mark) in self.marks {
            if let Some(p) = self.photos.get_mut(&hash) {
                p.marks.insert(mark.id, mark);
            }
        }
        let mut take = |k: &str| STRING_FIELDS.iter().position(|f| *f == k).and_then(|i| self.fields[i].take());
        let (category, other_reason) = split2(take("category").ok_or_else(|| bad("category"))?);
        let (root_cause, root_cause_note) = match take("root_cause") {
            Some(v) => {
                let (c, n) = split2(v);
                (Some(c), n)
            }
            None => (None, None),
        };
        let mut d = Defect {
            id,
            unit: UnitId::new(take("unit").ok_or_else(|| bad("unit"))?),
            room: RoomId::new(take("room").ok_or_else(|| bad("room"))?),
            item: take("item").map(ItemCode::new),
            element: ElementId::new(take("element").ok_or_else(|| bad("element"))?),
            spot: take("spot").unwrap_or_default(),
            pin: take("pin").as_deref().and_then(parse_pin),
            description: take("description").unwrap_or_default(),
            category: CategoryId::new(category),
            other_reason,
            root_cause: root_cause.filter(|c| !c.is_empty()).map(CategoryId::new),
            root_cause_note,
            severity: take("severity").as_deref().and_then(Severity::parse).ok_or_else(|| bad("severity"))?,
            source: take("source").as_deref().and_then(Source::parse).ok_or_else(|| bad("source"))?,
            trade: TradeId::new(take("trade").ok_or_else(|| bad("trade"))?),
            responsible: take("responsible").map(ContractorId::new),
            found_by: UserId::new(take("found_by").ok_or_else(|| bad("found_by"))?),
            found_round: self.found_round.ok_or_else(|| bad("found_round"))?,
            found_at: self.found_at.ok_or_else(|| bad("found_at"))?,
            photos: self.photos,
            events: self.events,
        };
        d.sort_events();
        Ok(d)
    }
}

fn get_obj(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(obj, key) {
        Ok(Some((Value::Object(_), id))) => Some(id),
        _ => None,
    }
}

fn get_str(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn get_i64(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<i64> {
    match doc.get(obj, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Int(n) => Some(*n),
            ScalarValue::Uint(n) => Some(*n as i64),
            _ => None,
        },
        _ => None,
    }
}
