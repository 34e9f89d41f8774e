//! What a writer may change in a unit document: the one rule the server
//! applies to every change a tablet sends, and the tablet applies to every
//! change before it keeps it (so an honest tablet is never refused).
//!
//! A change is read as the operations it carries (not as the merged state),
//! so what it adds or removes is exact whatever else merged concurrently:
//! - only plain values in the unit's `results` and `defects` maps, under keys
//!   of the schema, each value of the type and shape its reader expects
//!   (ids well-formed, photo hashes 64 lowercase hex, texts bounded);
//! - every event, result, photo and new defect names the signed-in user as
//!   its author and is not dated far in the future;
//! - an inspector's device writes results, defects, photos and marks, and
//!   the events of the inspection (rechecks, withdrawals, edits), never an
//!   assignment, an accepted risk or a contractor's report; the CS center
//!   (which owns the process) may write any event, in its own name;
//! - nothing recorded disappears or changes: no defect, event, photo or
//!   result is deleted, events and photos are immutable, and a recorded
//!   defect's fields change only through an edit recorded in its history
//!   (an `Edited` event by the writer carrying exactly the new value). Marks
//!   may be removed (the inspector redraws them).
//! - the genesis change is the deterministic one (`UnitDoc::genesis`).

use super::{
    decode_result, genesis_doc, parse_pin, parse_result_key, split_defect_key, GENESIS_ACTOR, SEP, STRING_FIELDS,
};
use crate::defect::{DefectEvent, EventKind, Shape, Source};
use crate::ids::*;
use crate::model::{Role, Severity};
use crate::time::{self, Time};
use automerge::legacy::{Key, OpType};
use automerge::{AutoCommit, Change, ChangeHash, ReadDoc, ScalarValue, ROOT};
use std::collections::{BTreeSet, HashMap};

/// How far ahead of the checker's clock a recorded time may be (tablet
/// clocks drift; a day ahead is not drift).
pub const MAX_AHEAD_HOURS: i64 = 24;
/// The longest free text (description, spot, notes, reasons), in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The longest stored value of any kind, in bytes.
pub const MAX_VALUE_BYTES: usize = 16 * 1024;

/// Fields of a recorded defect that an edit may change.
pub const EDITABLE_FIELDS: [&str; 10] =
    ["room", "element", "spot", "pin", "description", "category", "root_cause", "severity", "trade", "responsible"];

/// Who is writing: the signed-in user and their role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Writer {
    pub user: UserId,
    pub role: Role,
}

/// May `role` write events of this kind from a device?
pub fn may_write_event(role: Role, kind: &EventKind) -> bool {
    match role {
        Role::Inspector => {
            matches!(kind, EventKind::Rechecked { .. } | EventKind::Withdrawn { .. } | EventKind::Edited { .. })
        }
        // The CS center owns the process: it dispatches, accepts risks and
        // records a contractor's report it took by phone, in its own name.
        Role::CsAdmin => true,
        Role::Engineer | Role::Contractor => false,
    }
}

/// May `writer` withdraw a defect `found_by` recorded? Its finder (an
/// inspector withdraws only their own mistakes) or the CS center.
pub fn may_withdraw(writer: &Writer, found_by: &UserId) -> bool {
    match writer.role {
        Role::CsAdmin => true,
        Role::Inspector => &writer.user == found_by,
        Role::Engineer | Role::Contractor => false,
    }
}

/// What the role may not write, in words (for a refusal).
fn event_refusal(role: Role, kind: &EventKind) -> String {
    let what = match kind {
        EventKind::Assigned { .. } => "an assignment to a contractor (the CS center dispatches on the server)",
        EventKind::AcceptedRisk { .. } => "an accepted risk (the CS center accepts risks in the console)",
        EventKind::ReportedFixed { .. } | EventKind::FixRetracted { .. } => {
            "a contractor's report (contractors report through their link)"
        }
        _ => "this event",
    };
    format!("a {} account may not write {what}", role_name(role))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::CsAdmin => "CS center",
        Role::Inspector => "inspector",
        Role::Engineer => "engineer",
        Role::Contractor => "contractor",
    }
}

/// Is `s` a well-formed code (a room, item, category, trade, contractor or
/// user id): 1–64 characters, none of them space, control, quote, markup or
/// path characters.
pub fn code_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 64
        && s.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"\"'`<>&/\\".contains(c))
}

/// Is `s` a photo hash: 64 lowercase hex characters.
pub fn hash_ok(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn text_ok(s: &str) -> bool {
    s.chars().count() <= MAX_TEXT_CHARS
}

/// One operation of the checked changes, on one of the unit's two maps.
struct Write {
    map: Map,
    key: String,
    /// None: a delete.
    value: Option<ScalarValue>,
    /// Does it overwrite a value (rather than write a fresh key)?
    overwrites: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Map {
    Results,
    Defects,
}

/// Check `changes` (the changes after `before` in `doc`, which holds them)
/// against what `writer` may do, at `now`. `Err` says what was wrong, in
/// words; nothing of a refused change is to be kept.
pub fn check_unit_changes(
    doc: &AutoCommit,
    before: &[ChangeHash],
    changes: &[Change],
    project: &ProjectId,
    unit: &UnitId,
    writer: &Writer,
    now: Time,
) -> Result<(), String> {
    if !matches!(writer.role, Role::Inspector | Role::CsAdmin) {
        return Err(format!("a {} account does not write unit records", role_name(writer.role)));
    }
    let mut genesis = genesis_doc("unit", project, unit.as_str(), &["results", "defects"]);
    let genesis_hash = genesis.get_heads();
    let obj_name = |m: &str| genesis.get(ROOT, m).ok().flatten().map(|(_, id)| id.to_string());
    let (results_obj, defects_obj) = (obj_name("results"), obj_name("defects"));
    let genesis_actor = automerge::ActorId::from(GENESIS_ACTOR);

    let mut writes = Vec::new();
    for change in changes {
        if genesis_hash.contains(&change.hash()) {
            continue;
        }
        if change.actor_id() == &genesis_actor {
            return Err("a change claims to be the document's genesis but is not".into());
        }
        for op in change.decode().operations {
            let obj = op.obj.to_string();
            let map = if Some(&obj) == results_obj.as_ref() {
                Map::Results
            } else if Some(&obj) == defects_obj.as_ref() {
                Map::Defects
            } else {
                return Err("it writes outside the unit's results and defects".into());
            };
            let Key::Map(key) = op.key else {
                return Err("it writes a list position where a named entry belongs".into());
            };
            let value = match op.action {
                OpType::Put(v) => Some(v),
                OpType::Delete => None,
                _ => return Err(format!("entry {key}: only plain values may be written")),
            };
            writes.push(Write { map, key: key.to_string(), value, overwrites: !op.pred.is_empty() });
        }
    }
    if writes.is_empty() {
        return Ok(());
    }
    let ctx = Ctx {
        doc,
        before,
        defects_obj: doc.get(ROOT, "defects").ok().flatten().map(|(_, id)| id),
        results_obj: doc.get(ROOT, "results").ok().flatten().map(|(_, id)| id),
        writer,
        unit,
        latest: now + chrono::Duration::hours(MAX_AHEAD_HOURS),
    };
    ctx.check(&writes)
}

struct Ctx<'a> {
    doc: &'a AutoCommit,
    before: &'a [ChangeHash],
    defects_obj: Option<automerge::ObjId>,
    results_obj: Option<automerge::ObjId>,
    writer: &'a Writer,
    unit: &'a UnitId,
    latest: Time,
}

impl Ctx<'_> {
    /// Did `key` of the map hold a value before the changes?
    fn existed(&self, map: Map, key: &str) -> bool {
        if self.before.is_empty() {
            return false;
        }
        let obj = match map {
            Map::Results => &self.results_obj,
            Map::Defects => &self.defects_obj,
        };
        obj.as_ref().is_some_and(|o| self.doc.get_all_at(o, key, self.before).is_ok_and(|v| !v.is_empty()))
    }

    fn author(&self, what: &str, by: &str) -> Result<(), String> {
        if by != self.writer.user.as_str() {
            return Err(format!("{what} is signed by {by}, but you are signed in as {}", self.writer.user));
        }
        Ok(())
    }

    fn when(&self, what: &str, at: Time) -> Result<(), String> {
        if at > self.latest {
            return Err(format!(
                "{what} is dated {}, more than {MAX_AHEAD_HOURS} hours ahead of the clock",
                at.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        Ok(())
    }

    fn check(&self, writes: &[Write]) -> Result<(), String> {
        // Defects created by these changes, and the edits they record.
        let mut created = BTreeSet::new();
        let mut edits: HashMap<(DefectId, String), Vec<String>> = HashMap::new();
        for w in writes.iter().filter(|w| w.map == Map::Defects) {
            let Some((id, rest)) = split_defect_key(&w.key) else { continue };
            let Some(id) = DefectId::parse(id) else { continue };
            if rest == "found_by" && w.value.is_some() && !self.existed(Map::Defects, &w.key) {
                created.insert(id);
            }
            if let (Some(_), Some(ScalarValue::Str(s))) = (rest.strip_prefix("event/"), &w.value) {
                if let Ok(DefectEvent { kind: EventKind::Edited { field, value }, .. }) =
                    serde_json::from_str::<DefectEvent>(s)
                {
                    edits.entry((id, field)).or_default().push(value);
                }
            }
        }
        let photo_known = |id: DefectId, hash: &str| {
            let key = format!("{id}/photo/{hash}");
            self.existed(Map::Defects, &key) || writes.iter().any(|w| w.key == key && w.value.is_some())
        };
        let defect_known =
            |id: DefectId| created.contains(&id) || self.existed(Map::Defects, &format!("{id}/found_by"));
        for w in writes {
            if let Some(ScalarValue::Str(s)) = &w.value {
                if s.len() > MAX_VALUE_BYTES {
                    return Err(format!("entry {} holds {} bytes; at most {MAX_VALUE_BYTES} are kept", w.key, s.len()));
                }
            }
            match w.map {
                Map::Results => self.result(w)?,
                Map::Defects => {
                    let Some((id, rest)) = split_defect_key(&w.key) else {
                        return Err(format!("{:?} is not an entry of a defect", w.key));
                    };
                    let id = DefectId::parse(id).ok_or_else(|| format!("{id:?} is not a defect id"))?;
                    if let Some(event) = rest.strip_prefix("event/") {
                        if !defect_known(id) {
                            return Err(format!("an event is written for defect {id}, which this unit does not have"));
                        }
                        self.event(w, id, event)?;
                    } else if let Some(hash) = rest.strip_prefix("photo/") {
                        if !defect_known(id) {
                            return Err(format!("a photo is attached to defect {id}, which this unit does not have"));
                        }
                        self.photo(w, id, hash)?;
                    } else if let Some(m) = rest.strip_prefix("mark/") {
                        let (hash, mark) = m.split_once('/').unwrap_or((m, ""));
                        if !hash_ok(hash) || MarkId::parse(mark).is_none() {
                            return Err(format!("{:?} is not a mark of a photo", w.key));
                        }
                        if !photo_known(id, hash) {
                            return Err(format!("a mark is drawn on photo {hash}, which defect {id} does not have"));
                        }
                        if let Some(v) = &w.value {
                            let ok = matches!(v, ScalarValue::Str(s) if Shape::decode(s).is_some_and(|s| s.is_valid()));
                            if !ok {
                                return Err(format!(
                                    "mark {mark} of defect {id} is not a valid shape within the photo (a label needs 1–40 characters)"
                                ));
                            }
                        }
                    } else if created.contains(&id) {
                        self.new_field(w, id, rest)?;
                    } else {
                        self.edited_field(w, id, rest, &edits)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn result(&self, w: &Write) -> Result<(), String> {
        let Some((round, key)) = parse_result_key(&w.key) else {
            return Err(format!("{:?} is not a checklist result", w.key));
        };
        if round.0 == 0 || !code_ok(key.room.as_str()) || !code_ok(key.item.as_str()) {
            return Err(format!("{:?} is not a checklist result", w.key));
        }
        let Some(value) = &w.value else {
            return Err(format!(
                "it deletes the result of {} in round {round}; a result is changed, never deleted",
                key.item
            ));
        };
        let ScalarValue::Str(s) = value else { return Err(format!("result {} is not text", w.key)) };
        let (_, by, at, note) = decode_result(s).ok_or_else(|| format!("result {} cannot be read", w.key))?;
        let what = format!("the result of {} in {} (round {round})", key.item, key.room);
        self.author(&what, by.as_str())?;
        self.when(&what, at)?;
        if note.as_deref().is_some_and(|n| !text_ok(n)) {
            return Err(format!("the note of {what} is longer than {MAX_TEXT_CHARS} characters"));
        }
        Ok(())
    }

    fn event(&self, w: &Write, defect: DefectId, event: &str) -> Result<(), String> {
        let Some(value) = &w.value else {
            return Err(format!("it deletes event {event} of defect {defect}; a defect's history is never deleted"));
        };
        if w.overwrites || self.existed(Map::Defects, &w.key) {
            return Err(format!("it rewrites event {event} of defect {defect}; events cannot be changed"));
        }
        let ScalarValue::Str(s) = value else { return Err(format!("event {event} of defect {defect} is not text")) };
        let e: DefectEvent =
            serde_json::from_str(s).map_err(|e| format!("event {event} of defect {defect} cannot be read: {e}"))?;
        if EventId::parse(event) != Some(e.id) {
            return Err(format!("event {event} of defect {defect} carries another id ({})", e.id));
        }
        let what = format!("the {} event {event} of defect {defect}", e.kind.type_name().replace('_', " "));
        self.author(&what, e.by.as_str())?;
        self.when(&what, e.at)?;
        if !may_write_event(self.writer.role, &e.kind) {
            return Err(event_refusal(self.writer.role, &e.kind));
        }
        match &e.kind {
            EventKind::Rechecked { note, photo, .. } => {
                if !text_ok(note) {
                    return Err(format!("the note of {what} is longer than {MAX_TEXT_CHARS} characters"));
                }
                if photo.as_ref().is_some_and(|p| !hash_ok(p.as_str())) {
                    return Err(format!("the photo of {what} is not a photo hash (64 lowercase hex characters)"));
                }
            }
            EventKind::Withdrawn { reason } => {
                if !text_ok(reason) || reason.trim().is_empty() {
                    return Err(format!("{what} needs a reason of 1–{MAX_TEXT_CHARS} characters"));
                }
                let found_by =
                    self.defects_obj.as_ref().and_then(|o| super::get_str(self.doc, o, &format!("{defect}/found_by")));
                if !found_by.is_some_and(|f| may_withdraw(self.writer, &UserId::new(&f))) {
                    return Err(format!(
                        "{what}: only the inspector who recorded the defect or the CS center may withdraw it"
                    ));
                }
            }
            EventKind::Edited { field, value } => {
                if !EDITABLE_FIELDS.contains(&field.as_str()) {
                    return Err(format!("{what} edits {field:?}, which cannot be edited"));
                }
                if !text_ok(value) {
                    return Err(format!("{what} holds a value longer than {MAX_TEXT_CHARS} characters"));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn photo(&self, w: &Write, defect: DefectId, hash: &str) -> Result<(), String> {
        if !hash_ok(hash) {
            return Err(format!(
                "defect {defect} names a photo {hash:?} that is not a photo hash (64 lowercase hex characters)"
            ));
        }
        let Some(value) = &w.value else {
            return Err(format!("it removes photo {hash} from defect {defect}; photos are never removed"));
        };
        if w.overwrites || self.existed(Map::Defects, &w.key) {
            return Err(format!("it rewrites who added photo {hash} of defect {defect}"));
        }
        let ScalarValue::Str(s) = value else { return Err(format!("photo {hash} of defect {defect} is not text")) };
        let (by, at) = s.split_once(SEP).ok_or_else(|| format!("photo {hash} of defect {defect} cannot be read"))?;
        let at = at.parse::<i64>().map_err(|_| format!("photo {hash} of defect {defect} has no time"))?;
        let what = format!("photo {hash} of defect {defect}");
        self.author(&what, by)?;
        self.when(&what, time::from_millis(at))
    }

    /// A field of a defect these changes create.
    fn new_field(&self, w: &Write, defect: DefectId, field: &str) -> Result<(), String> {
        let bad = |why: &str| Err(format!("defect {defect}: {field} {why}"));
        let Some(value) = &w.value else { return bad("is deleted while the defect is created") };
        match (field, value) {
            ("found_round", ScalarValue::Uint(n)) if *n >= 1 && *n <= 99 => Ok(()),
            ("found_round", _) => bad("is not a round number"),
            ("found_at", ScalarValue::Timestamp(t)) => self.when(&format!("defect {defect}"), time::from_millis(*t)),
            ("found_at", _) => bad("is not a time"),
            (_, ScalarValue::Str(s)) if STRING_FIELDS.contains(&field) => {
                if field == "found_by" {
                    self.author(&format!("defect {defect}"), s)?;
                }
                if field == "unit" && s != self.unit.as_str() {
                    return bad(&format!("names unit {s}, but this is unit {}", self.unit));
                }
                self.field_value(defect, field, s)
            }
            _ => bad("is not part of a defect"),
        }
    }

    /// A field of a recorded defect: only editable ones, each with its edit
    /// recorded by the writer in the same changes.
    fn edited_field(
        &self,
        w: &Write,
        defect: DefectId,
        field: &str,
        edits: &HashMap<(DefectId, String), Vec<String>>,
    ) -> Result<(), String> {
        if !STRING_FIELDS.contains(&field) && field != "found_round" && field != "found_at" {
            return Err(format!("defect {defect} has no field {field:?}"));
        }
        if !EDITABLE_FIELDS.contains(&field) {
            return Err(format!("the {} of recorded defect {defect} cannot be changed", field.replace('_', " ")));
        }
        let value = match &w.value {
            Some(ScalarValue::Str(s)) => s.to_string(),
            None if !["pin", "root_cause", "responsible"].contains(&field) => {
                return Err(format!("it deletes the {field} of defect {defect}; a recorded defect is never deleted"));
            }
            None => String::new(),
            Some(_) => return Err(format!("defect {defect}: {field} is not text")),
        };
        let recorded = edits.get(&(defect, field.to_owned())).is_some_and(|vs| vs.contains(&value));
        if !recorded {
            return Err(format!("it changes the {field} of defect {defect} without recording the edit in its history"));
        }
        if w.value.is_some() {
            self.field_value(defect, field, &value)?;
        }
        Ok(())
    }

    /// The shape of one string field's value, as its reader expects it.
    fn field_value(&self, defect: DefectId, field: &str, s: &str) -> Result<(), String> {
        let bad = |why: String| Err(format!("defect {defect}: {field} {why}"));
        let (head, tail) = s.split_once(SEP).unwrap_or((s, ""));
        match field {
            "spot" | "description" if !text_ok(s) => bad(format!("is longer than {MAX_TEXT_CHARS} characters")),
            "spot" | "description" => Ok(()),
            "pin" => match parse_pin(s) {
                Some(p) if p.is_normalised() => Ok(()),
                _ => bad("is not a point within the plan".into()),
            },
            "severity" if Severity::parse(s).is_none() => bad(format!("{s:?} is not a severity")),
            "source" if Source::parse(s).is_none() => bad(format!("{s:?} is not a source")),
            "severity" | "source" => Ok(()),
            "category" | "root_cause" => {
                let head_ok = if field == "root_cause" { head.is_empty() || code_ok(head) } else { code_ok(head) };
                if !head_ok {
                    bad(format!("{head:?} is not a category code"))
                } else if !text_ok(tail) {
                    bad(format!("note is longer than {MAX_TEXT_CHARS} characters"))
                } else {
                    Ok(())
                }
            }
            _ if code_ok(s) => Ok(()),
            _ => bad(format!("{s:?} is not a well-formed code")),
        }
    }
}

/// Read `bytes` strictly as Automerge chunks (a saved document, or changes
/// as `save_after` writes them): every chunk must parse whole, with nothing
/// left over. (Automerge's own incremental load skips what it cannot parse,
/// which would take broken bytes as "nothing new".) Returns the number of
/// chunks.
pub fn check_chunks(bytes: &[u8]) -> Result<usize, String> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let mut at = 0;
    let mut count = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < 10 || rest[..4] != MAGIC {
            return Err(format!("byte {at} does not start an Automerge chunk"));
        }
        let kind = rest[8];
        // The chunk's length: unsigned LEB128 after the 9-byte header.
        let (mut len, mut shift, mut i) = (0u64, 0u32, 9usize);
        loop {
            let Some(&b) = rest.get(i) else { return Err(format!("the chunk at byte {at} is cut off")) };
            if shift > 56 {
                return Err(format!("the chunk at byte {at} declares an impossible length"));
            }
            len |= u64::from(b & 0x7f) << shift;
            shift += 7;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end =
            (i as u64).checked_add(len).filter(|e| *e <= rest.len() as u64).ok_or_else(|| {
                format!("the chunk at byte {at} declares {len} bytes but only {} follow", rest.len() - i)
            })? as usize;
        let chunk = &rest[..end];
        match kind {
            0 => {
                AutoCommit::load(chunk).map_err(|e| format!("the document at byte {at} cannot be read: {e}"))?;
            }
            1 | 2 => {
                Change::try_from(chunk).map_err(|e| format!("the change at byte {at} cannot be read: {e}"))?;
            }
            k => return Err(format!("the chunk at byte {at} is of a kind ({k}) that is not accepted")),
        }
        at += end;
        count += 1;
    }
    Ok(count)
}
