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
//! Reading goes straight through `map_range`, without a generic hydrate, so
//! a unit with 50 defects converts to the model well under a millisecond.

pub mod project;
pub use project::ProjectDoc;

use crate::defect::{Defect, DefectEvent, EventKind, Mark, Photo, Shape, Source};
use crate::error::{Error, Result};
use crate::ids::*;
use crate::model::{Point, Project, ResultKey, Severity};
use crate::rules::{self, Outcome, RecheckEntry, UnitStatus};
use crate::time::{self, Time};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version written into every document.
pub const SCHEMA_VERSION: i64 = 1;
const GENESIS_ACTOR: &[u8] = b"walkthrough-genesis";

/// A unit's recorded result for one checklist line in one round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub round: RoundNo,
    pub key: ResultKey,
    pub outcome: Outcome,
    pub by: UserId,
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
        self.results
            .iter()
            .filter(|((r, _), _)| *r == round)
            .map(|((_, k), v)| (k.clone(), v.outcome))
            .collect()
    }

    pub fn recheck_queue(&self, round: RoundNo) -> Vec<RecheckEntry> {
        rules::recheck_queue(self.defects.values(), round)
    }

    pub fn open_defects(&self) -> usize {
        self.defects
            .values()
            .filter(|d| d.lifecycle().status.is_open())
            .count()
    }

    pub fn status(&self, project: &Project, round: RoundNo) -> UnitStatus {
        let checklist: Vec<ResultKey> = project
            .checklist(&self.unit)
            .iter()
            .map(|e| e.key())
            .collect();
        rules::unit_status(
            &checklist,
            &self.outcomes(round),
            &self.recheck_queue(round),
            self.open_defects(),
        )
    }
}

/// A change to one field of a defect (each is recorded as an `Edited` event too).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum DefectEdit {
    Room(RoomId),
    Element(ElementId),
    Spot(String),
    Pin(Option<Point>),
    Description(String),
    Category {
        category: CategoryId,
        other_reason: Option<String>,
    },
    RootCause {
        root_cause: Option<CategoryId>,
        note: Option<String>,
    },
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
    doc.put(ROOT, "schema", SCHEMA_VERSION)
        .expect("put on a fresh doc");
    doc.put(ROOT, "kind", kind).expect("put on a fresh doc");
    doc.put(ROOT, "project", project.as_str())
        .expect("put on a fresh doc");
    doc.put(ROOT, "id", id).expect("put on a fresh doc");
    for m in maps {
        doc.put_object(ROOT, *m, ObjType::Map)
            .expect("put on a fresh doc");
    }
    doc.commit_with(
        CommitOptions::default()
            .with_time(0)
            .with_message("genesis"),
    );
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
            detail: format!(
                "schema version {v} is not supported (this build reads {SCHEMA_VERSION})"
            ),
        }),
        (k, _) => Err(Error::WrongDocument {
            expected,
            detail: format!("its kind is {:?}", k.unwrap_or("missing")),
        }),
    }
}

fn commit(doc: &mut AutoCommit, what: &str, by: &UserId, at: Time) {
    doc.commit_with(
        CommitOptions::default()
            .with_time(at.timestamp())
            .with_message(format!("{what} by {by}")),
    );
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

fn pin_string(p: Point) -> String {
    format!("{},{}", p.x, p.y)
}

fn parse_pin(s: &str) -> Option<Point> {
    let (x, y) = s.split_once(',')?;
    Some(Point {
        x: x.parse().ok()?,
        y: y.parse().ok()?,
    })
}

impl UnitDoc {
    /// The unit's document as every replica starts it: byte-for-byte the
    /// same change wherever it is made, so offline creation merges cleanly.
    pub fn genesis(project: &ProjectId, unit: &UnitId) -> Self {
        Self {
            doc: genesis_doc("unit", project, unit.as_str(), &["results", "defects"]),
        }
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

    pub fn merge(&mut self, other: &mut UnitDoc) -> Result<()> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    pub fn unit_id(&self) -> UnitId {
        UnitId::new(get_str(&self.doc, &ROOT, "id").unwrap_or_default())
    }

    fn map(&self, key: &str) -> Result<ObjId> {
        get_obj(&self.doc, &ROOT, key).ok_or_else(|| Error::BadField {
            path: key.to_owned(),
        })
    }

    fn defect_obj(&self, id: DefectId) -> Result<ObjId> {
        get_obj(&self.doc, &self.map("defects")?, &id.to_string()).ok_or(Error::NoSuchDefect(id))
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
        // A new object per write: outcome, author and time stay together, and
        // a concurrent write by another inspector is a visible conflict, not
        // a mix of the two.
        let obj = self
            .doc
            .put_object(&results, result_key_string(round, key), ObjType::Map)?;
        self.doc.put(&obj, "outcome", outcome.as_str())?;
        self.doc.put(&obj, "by", by.as_str())?;
        self.doc
            .put(&obj, "at", ScalarValue::Timestamp(at.timestamp_millis()))?;
        if let Some(n) = note {
            self.doc.put(&obj, "note", n)?;
        }
        commit(&mut self.doc, "result", by, at);
        Ok(())
    }

    /// Add a new defect with its photos and initial events, as one change.
    pub fn add_defect(&mut self, d: &Defect) -> Result<()> {
        let defects = self.map("defects")?;
        let key = d.id.to_string();
        if self.doc.get(&defects, key.as_str())?.is_some() {
            // A retried create is harmless: the defect is already here.
            return Err(Error::DuplicateDefect(d.id));
        }
        let obj = self.doc.put_object(&defects, key, ObjType::Map)?;
        let s = |v: &str| v.to_owned();
        let fields: [(&str, Option<String>); 16] = [
            ("unit", Some(s(d.unit.as_str()))),
            ("room", Some(s(d.room.as_str()))),
            ("item", d.item.as_ref().map(|i| s(i.as_str()))),
            ("element", Some(s(d.element.as_str()))),
            ("spot", Some(d.spot.clone())),
            ("pin", d.pin.map(pin_string)),
            ("description", Some(d.description.clone())),
            ("category", Some(s(d.category.as_str()))),
            ("other_reason", d.other_reason.clone()),
            ("root_cause", d.root_cause.as_ref().map(|c| s(c.as_str()))),
            ("root_cause_note", d.root_cause_note.clone()),
            ("severity", Some(s(d.severity.as_str()))),
            ("source", Some(s(d.source.as_str()))),
            ("trade", Some(s(d.trade.as_str()))),
            ("responsible", d.responsible.as_ref().map(|c| s(c.as_str()))),
            ("found_by", Some(s(d.found_by.as_str()))),
        ];
        for (k, v) in fields {
            if let Some(v) = v {
                self.doc.put(&obj, k, v)?;
            }
        }
        self.doc
            .put(&obj, "found_round", u64::from(d.found_round.0))?;
        self.doc.put(
            &obj,
            "found_at",
            ScalarValue::Timestamp(d.found_at.timestamp_millis()),
        )?;
        let photos = self.doc.put_object(&obj, "photos", ObjType::Map)?;
        for p in d.photos.values() {
            put_photo(&mut self.doc, &photos, p)?;
        }
        let events = self.doc.put_object(&obj, "events", ObjType::Map)?;
        for e in &d.events {
            self.doc
                .put(&events, e.id.to_string(), serde_json::to_string(e)?)?;
        }
        commit(&mut self.doc, "defect", &d.found_by, d.found_at);
        Ok(())
    }

    /// Append an event to a defect's history.
    pub fn add_event(&mut self, defect: DefectId, event: &DefectEvent) -> Result<()> {
        let obj = self.defect_obj(defect)?;
        let events = get_obj(&self.doc, &obj, "events").ok_or_else(|| Error::BadField {
            path: format!("defects/{defect}/events"),
        })?;
        self.doc
            .put(&events, event.id.to_string(), serde_json::to_string(event)?)?;
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
        let obj = self.defect_obj(defect)?;
        let put_opt = |doc: &mut AutoCommit, k: &str, v: Option<&str>| -> Result<()> {
            match v {
                Some(v) => doc.put(&obj, k, v)?,
                None => doc.delete(&obj, k)?,
            }
            Ok(())
        };
        let (field, shown) = match edit {
            DefectEdit::Room(v) => (
                put_opt(&mut self.doc, "room", Some(v.as_str())),
                ("room", v.0.clone()),
            ),
            DefectEdit::Element(v) => (
                put_opt(&mut self.doc, "element", Some(v.as_str())),
                ("element", v.0.clone()),
            ),
            DefectEdit::Spot(v) => (put_opt(&mut self.doc, "spot", Some(v)), ("spot", v.clone())),
            DefectEdit::Pin(p) => {
                let s = p.map(pin_string);
                (
                    put_opt(&mut self.doc, "pin", s.as_deref()),
                    ("pin", s.unwrap_or_default()),
                )
            }
            DefectEdit::Description(v) => (
                put_opt(&mut self.doc, "description", Some(v)),
                ("description", v.clone()),
            ),
            DefectEdit::Category {
                category,
                other_reason,
            } => {
                let r = put_opt(&mut self.doc, "category", Some(category.as_str()))
                    .and_then(|_| put_opt(&mut self.doc, "other_reason", other_reason.as_deref()));
                (r, ("category", category.0.clone()))
            }
            DefectEdit::RootCause { root_cause, note } => {
                let r = put_opt(
                    &mut self.doc,
                    "root_cause",
                    root_cause.as_ref().map(|c| c.as_str()),
                )
                .and_then(|_| put_opt(&mut self.doc, "root_cause_note", note.as_deref()));
                (
                    r,
                    (
                        "root_cause",
                        root_cause.as_ref().map(|c| c.0.clone()).unwrap_or_default(),
                    ),
                )
            }
            DefectEdit::Severity(v) => (
                put_opt(&mut self.doc, "severity", Some(v.as_str())),
                ("severity", v.as_str().to_owned()),
            ),
            DefectEdit::Trade(v) => (
                put_opt(&mut self.doc, "trade", Some(v.as_str())),
                ("trade", v.0.clone()),
            ),
            DefectEdit::Responsible(v) => (
                put_opt(&mut self.doc, "responsible", v.as_ref().map(|c| c.as_str())),
                (
                    "responsible",
                    v.as_ref().map(|c| c.0.clone()).unwrap_or_default(),
                ),
            ),
        };
        if let Err(e) = field {
            self.doc.rollback();
            return Err(e);
        }
        let event = DefectEvent {
            id: event_id,
            at,
            by: by.clone(),
            round,
            kind: EventKind::Edited {
                field: shown.0.to_owned(),
                value: shown.1,
            },
        };
        let events = get_obj(&self.doc, &obj, "events").ok_or_else(|| Error::BadField {
            path: format!("defects/{defect}/events"),
        })?;
        self.doc.put(
            &events,
            event.id.to_string(),
            serde_json::to_string(&event)?,
        )?;
        commit(&mut self.doc, "edit", by, at);
        Ok(())
    }

    /// Attach a photo to a defect (idempotent by hash).
    pub fn add_photo(&mut self, defect: DefectId, photo: &Photo) -> Result<()> {
        let obj = self.defect_obj(defect)?;
        let photos = get_obj(&self.doc, &obj, "photos").ok_or_else(|| Error::BadField {
            path: format!("defects/{defect}/photos"),
        })?;
        if get_obj(&self.doc, &photos, photo.hash.as_str()).is_some() {
            return Ok(());
        }
        put_photo(&mut self.doc, &photos, photo)?;
        commit(&mut self.doc, "photo", &photo.added_by, photo.added_at);
        Ok(())
    }

    /// Add or replace one mark on a photo.
    pub fn put_mark(
        &mut self,
        defect: DefectId,
        photo: &PhotoHash,
        mark: &Mark,
        by: &UserId,
        at: Time,
    ) -> Result<()> {
        if !mark.shape.is_valid() {
            return Err(Error::Invalid(format!("mark {} is not a valid shape: coordinates must be within the photo and a label needs 1–40 characters", mark.id)));
        }
        let marks = self.marks_obj(defect, photo)?;
        self.doc.put(
            &marks,
            mark.id.to_string(),
            serde_json::to_string(&mark.shape)?,
        )?;
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
        let marks = self.marks_obj(defect, photo)?;
        self.doc.delete(&marks, mark.to_string())?;
        commit(&mut self.doc, "unmark", by, at);
        Ok(())
    }

    fn marks_obj(&self, defect: DefectId, photo: &PhotoHash) -> Result<ObjId> {
        let obj = self.defect_obj(defect)?;
        get_obj(&self.doc, &obj, "photos")
            .and_then(|p| get_obj(&self.doc, &p, photo.as_str()))
            .and_then(|p| get_obj(&self.doc, &p, "marks"))
            .ok_or_else(|| {
                Error::Invalid(format!("photo {photo} is not attached to defect {defect}"))
            })
    }

    /// Every value a defect field holds right now: more than one while
    /// concurrent edits conflict. The first is the one everybody sees.
    pub fn field_values(&self, defect: DefectId, field: &str) -> Result<Vec<String>> {
        let obj = self.defect_obj(defect)?;
        let all = self.doc.get_all(&obj, field)?;
        // get_all lists conflicts in op order; the winner is the last.
        Ok(all
            .into_iter()
            .rev()
            .filter_map(|(v, _)| v.as_str().map(str::to_owned))
            .collect())
    }

    /// Read the whole unit into the model.
    pub fn read(&self) -> Result<UnitRecord> {
        let project = ProjectId::new(get_str(&self.doc, &ROOT, "project").unwrap_or_default());
        let unit = self.unit_id();
        let mut results = BTreeMap::new();
        let robj = self.map("results")?;
        for item in self.doc.map_range(&robj, ..) {
            let Some((round, key)) = parse_result_key(&item.key) else {
                continue;
            };
            let obj = item.id();
            let mut outcome = None;
            let mut by = None;
            let mut at = None;
            let mut note = None;
            for f in self.doc.map_range(&obj, ..) {
                match (&*f.key, scalar(&f.value)) {
                    ("outcome", Some(automerge::ScalarValueRef::Str(s))) => {
                        outcome = Outcome::parse(s)
                    }
                    ("by", Some(automerge::ScalarValueRef::Str(s))) => {
                        by = Some(UserId::new(s.to_string()))
                    }
                    ("at", Some(automerge::ScalarValueRef::Timestamp(t))) => {
                        at = Some(time::from_millis(*t))
                    }
                    ("note", Some(automerge::ScalarValueRef::Str(s))) => note = Some(s.to_string()),
                    _ => {}
                }
            }
            if let (Some(outcome), Some(by), Some(at)) = (outcome, by, at) {
                results.insert(
                    (round, key.clone()),
                    ItemResult {
                        round,
                        key,
                        outcome,
                        by,
                        at,
                        note,
                    },
                );
            }
        }
        let mut defects = BTreeMap::new();
        let dobj = self.map("defects")?;
        for item in self.doc.map_range(&dobj, ..) {
            let Some(id) = DefectId::parse(&item.key) else {
                continue;
            };
            let d = read_defect(&self.doc, id, &item.id())?;
            defects.insert(id, d);
        }
        Ok(UnitRecord {
            project,
            unit,
            results,
            defects,
        })
    }

    pub fn read_defect(&self, id: DefectId) -> Result<Defect> {
        let obj = self.defect_obj(id)?;
        read_defect(&self.doc, id, &obj)
    }
}

fn put_photo(doc: &mut AutoCommit, photos: &ObjId, p: &Photo) -> Result<()> {
    let pobj = doc.put_object(photos, p.hash.as_str(), ObjType::Map)?;
    doc.put(&pobj, "by", p.added_by.as_str())?;
    doc.put(
        &pobj,
        "at",
        ScalarValue::Timestamp(p.added_at.timestamp_millis()),
    )?;
    let marks = doc.put_object(&pobj, "marks", ObjType::Map)?;
    for m in p.marks.values() {
        doc.put(&marks, m.id.to_string(), serde_json::to_string(&m.shape)?)?;
    }
    Ok(())
}

fn scalar<'a>(v: &'a automerge::ValueRef<'_>) -> Option<&'a automerge::ScalarValueRef<'a>> {
    match v {
        automerge::ValueRef::Scalar(s) => Some(s),
        _ => None,
    }
}

fn read_defect(doc: &AutoCommit, id: DefectId, obj: &ObjId) -> Result<Defect> {
    use automerge::ScalarValueRef as S;
    let bad = |f: &str| Error::BadField {
        path: format!("defects/{id}/{f}"),
    };
    let mut str_fields: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut found_round = None;
    let mut found_at = None;
    let mut photos_obj = None;
    let mut events_obj = None;
    const STRS: [&str; 16] = [
        "unit",
        "room",
        "item",
        "element",
        "spot",
        "pin",
        "description",
        "category",
        "other_reason",
        "root_cause",
        "root_cause_note",
        "severity",
        "source",
        "trade",
        "responsible",
        "found_by",
    ];
    for f in doc.map_range(obj, ..) {
        match (&*f.key, &f.value) {
            ("photos", automerge::ValueRef::Object(_)) => photos_obj = Some(f.id()),
            ("events", automerge::ValueRef::Object(_)) => events_obj = Some(f.id()),
            ("found_round", automerge::ValueRef::Scalar(S::Uint(n))) => {
                found_round = Some(RoundNo(*n as u32))
            }
            ("found_at", automerge::ValueRef::Scalar(S::Timestamp(t))) => {
                found_at = Some(time::from_millis(*t))
            }
            (k, automerge::ValueRef::Scalar(S::Str(s))) => {
                if let Some(name) = STRS.iter().find(|n| **n == k) {
                    str_fields.insert(name, s.to_string());
                }
            }
            _ => {}
        }
    }
    let mut take = |k: &'static str| str_fields.remove(k);
    let req = |v: Option<String>, k: &str| v.ok_or_else(|| bad(k));
    let mut photos = BTreeMap::new();
    if let Some(p) = photos_obj {
        for ph in doc.map_range(&p, ..) {
            let pid = ph.id();
            let mut added_by = UserId::new("");
            let mut added_at = time::from_millis(0);
            let mut marks = BTreeMap::new();
            for f in doc.map_range(&pid, ..) {
                match (&*f.key, &f.value) {
                    ("by", automerge::ValueRef::Scalar(S::Str(s))) => {
                        added_by = UserId::new(s.to_string())
                    }
                    ("at", automerge::ValueRef::Scalar(S::Timestamp(t))) => {
                        added_at = time::from_millis(*t)
                    }
                    ("marks", automerge::ValueRef::Object(_)) => {
                        let mid = f.id();
                        for m in doc.map_range(&mid, ..) {
                            let (Some(mark_id), automerge::ValueRef::Scalar(S::Str(json))) =
                                (MarkId::parse(&m.key), &m.value)
                            else {
                                continue;
                            };
                            if let Ok(shape) = serde_json::from_str::<Shape>(json) {
                                marks.insert(mark_id, Mark { id: mark_id, shape });
                            }
                        }
                    }
                    _ => {}
                }
            }
            let hash = PhotoHash::new(ph.key.to_string());
            photos.insert(
                hash.clone(),
                Photo {
                    hash,
                    added_by,
                    added_at,
                    marks,
                },
            );
        }
    }
    let mut events = Vec::new();
    if let Some(e) = events_obj {
        for ev in doc.map_range(&e, ..) {
            if let automerge::ValueRef::Scalar(S::Str(json)) = &ev.value {
                // An event this build cannot read (from a newer schema) is
                // skipped rather than failing the whole unit.
                if let Ok(event) = serde_json::from_str::<DefectEvent>(json) {
                    events.push(event);
                }
            }
        }
    }
    let mut d = Defect {
        id,
        unit: UnitId::new(req(take("unit"), "unit")?),
        room: RoomId::new(req(take("room"), "room")?),
        item: take("item").map(ItemCode::new),
        element: ElementId::new(req(take("element"), "element")?),
        spot: take("spot").unwrap_or_default(),
        pin: take("pin").as_deref().and_then(parse_pin),
        description: take("description").unwrap_or_default(),
        category: CategoryId::new(req(take("category"), "category")?),
        other_reason: take("other_reason"),
        root_cause: take("root_cause").map(CategoryId::new),
        root_cause_note: take("root_cause_note"),
        severity: take("severity")
            .as_deref()
            .and_then(Severity::parse)
            .ok_or_else(|| bad("severity"))?,
        source: take("source")
            .as_deref()
            .and_then(Source::parse)
            .ok_or_else(|| bad("source"))?,
        trade: TradeId::new(req(take("trade"), "trade")?),
        responsible: take("responsible").map(ContractorId::new),
        found_round: found_round.ok_or_else(|| bad("found_round"))?,
        found_by: UserId::new(req(take("found_by"), "found_by")?),
        found_at: found_at.ok_or_else(|| bad("found_at"))?,
        photos,
        events,
    };
    d.sort_events();
    Ok(d)
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
