//! The project document: structure, unit types, templates, categories,
//! trades, contractors, people and round plans.
//!
//! The model is mapped generically from its serde form, never as positional
//! lists (two admins adding to one list offline must both be kept):
//! - objects become maps, so concurrent edits to different fields survive;
//! - arrays of entities become maps keyed by the entity's id (`id`, `code`,
//!   `no`, `element`, `inspector`, or building + trade for a trade
//!   assignment), each with an `_order` field;
//! - arrays of strings (a contractor's trades) become sets: maps from the
//!   string to its position;
//! - an empty array is an empty keyed map, ready for either.

use super::{check_kind, commit, genesis_doc};
use crate::error::{Error, Result};
use crate::ids::*;
use crate::model::Project;
use crate::time::Time;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, ScalarValueRef, ValueRef, ROOT};
use serde_json::{Map, Number, Value as Json};

/// Marks a map that stands for a list of entities keyed by id.
const KEYED: &str = "_keyed";
/// The position of an entity within its list.
const ORDER: &str = "_order";
/// Fields that identify an entity in an array, tried in order; a composite
/// key joins its fields' values with `|` (a missing one is `*`).
const KEY_FIELDS: [&[&str]; 6] = [&["id"], &["code"], &["no"], &["element"], &["inspector"], &["building", "trade"]];
const COLLECTIONS: [&str; 9] =
    ["buildings", "unit_types", "units", "templates", "categories", "trades", "contractors", "people", "rounds"];
const RESERVED: [&str; 3] = ["schema", "kind", "project"];

pub struct ProjectDoc {
    doc: AutoCommit,
}

impl ProjectDoc {
    /// The project document as every replica starts it (deterministic).
    pub fn genesis(project: &ProjectId) -> Self {
        let mut doc = genesis_doc("project", project, project.as_str(), &COLLECTIONS);
        // The genesis maps are keyed lists; mark them so in the same way as
        // nested ones, in a second deterministic change by the genesis actor.
        doc.set_actor(automerge::ActorId::from(super::GENESIS_ACTOR));
        for c in COLLECTIONS {
            let obj = get_obj(&doc, &ROOT, c).expect("genesis map");
            doc.put(&obj, KEYED, true).expect("put on a fresh doc");
        }
        doc.commit_with(automerge::transaction::CommitOptions::default().with_time(0).with_message("genesis lists"));
        doc.set_actor(automerge::ActorId::random());
        Self { doc }
    }

    /// A new document holding `project` (the import of a project).
    pub fn import(project: &Project, by: &UserId, at: Time) -> Result<Self> {
        project.validate()?;
        let mut d = Self::genesis(&project.id);
        d.write(project, by, at)?;
        Ok(d)
    }

    pub fn load(bytes: &[u8]) -> Result<Self> {
        Self::from_automerge(AutoCommit::load(bytes)?)
    }

    pub fn from_automerge(doc: AutoCommit) -> Result<Self> {
        check_kind(&doc, "project")?;
        Ok(Self { doc })
    }

    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn merge(&mut self, other: &mut ProjectDoc) -> Result<()> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// Change the project: `change` edits the model as this document holds
    /// it now, and only what it changed is written, field by field, as one
    /// change. (Never write a model read earlier: anything merged in since
    /// would be taken as deleted.)
    pub fn edit(&mut self, by: &UserId, at: Time, change: impl FnOnce(&mut Project)) -> Result<()> {
        self.try_edit(by, at, |p| {
            change(p);
            Ok(())
        })
    }

    /// `edit` with a change that may refuse (nothing is written then).
    pub fn try_edit<T>(&mut self, by: &UserId, at: Time, change: impl FnOnce(&mut Project) -> Result<T>) -> Result<T> {
        let mut project = self.read()?;
        let value = change(&mut project)?;
        project.validate()?;
        self.write(&project, by, at)?;
        Ok(value)
    }

    fn write(&mut self, project: &Project, by: &UserId, at: Time) -> Result<()> {
        let json = serde_json::to_value(project)?;
        let Json::Object(fields) = json else { unreachable!("a project serialises to an object") };
        for (k, v) in fields {
            if COLLECTIONS.contains(&k.as_str()) {
                let obj = get_obj(&self.doc, &ROOT, &k).ok_or_else(|| Error::BadField { path: k.clone() })?;
                let Json::Array(items) = v else { unreachable!("collections serialise as arrays") };
                write_keyed_items(&mut self.doc, &obj, items)?;
            } else {
                write_field(&mut self.doc, &ROOT, &k, v)?;
            }
        }
        commit(&mut self.doc, "project", by, at);
        Ok(())
    }

    /// Read the project back into the model.
    pub fn read(&self) -> Result<Project> {
        let mut root = match read_map(&self.doc, &ROOT) {
            Json::Object(m) => m,
            _ => unreachable!("read_map of a map"),
        };
        for r in RESERVED {
            root.remove(r);
        }
        Ok(serde_json::from_value(Json::Object(root))?)
    }
}

fn key_of(item: &Json) -> Option<String> {
    let obj = item.as_object()?;
    let part = |f: &str| match obj.get(f)? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Null => Some("*".to_owned()),
        _ => None,
    };
    KEY_FIELDS.iter().find_map(|fields| {
        if !fields.iter().all(|f| obj.contains_key(*f)) {
            return None;
        }
        let parts: Option<Vec<String>> = fields.iter().map(|f| part(f)).collect();
        parts.map(|p| p.join("|"))
    })
}

/// How an array is stored.
enum ArrayShape {
    /// Entities with ids, or empty.
    Keyed,
    /// Distinct strings.
    Set,
    /// Anything else: a plain list (no such array in the model today).
    List,
}

fn shape_of(items: &[Json]) -> ArrayShape {
    if items.iter().all(|i| key_of(i).is_some()) {
        ArrayShape::Keyed
    } else if items.iter().all(Json::is_string)
        && items.iter().map(|i| i.as_str()).collect::<std::collections::BTreeSet<_>>().len() == items.len()
    {
        ArrayShape::Set
    } else {
        ArrayShape::List
    }
}

fn write_keyed_items(doc: &mut AutoCommit, obj: &ObjId, items: Vec<Json>) -> Result<()> {
    let mut keep = std::collections::BTreeSet::new();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Json::String(member) => {
                // A set member: its position is its value.
                write_field(doc, obj, &member, Json::from(i as u64))?;
                keep.insert(member);
            }
            item => {
                let key = key_of(&item).expect("caller checked every item has a key");
                let Json::Object(mut fields) = item else { unreachable!("keyed items are objects") };
                fields.insert(ORDER.to_owned(), Json::from(i as u64));
                write_field(doc, obj, &key, Json::Object(fields))?;
                keep.insert(key);
            }
        }
    }
    let gone: Vec<String> = doc.keys(obj).filter(|k| k != KEYED && !keep.contains(k)).collect();
    for k in gone {
        doc.delete(obj, k)?;
    }
    Ok(())
}

/// Write `value` under `key` of map `obj`, reusing existing objects and
/// writing only scalars that changed, so history stays granular.
fn write_field(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: Json) -> Result<()> {
    match value {
        Json::Object(fields) => {
            let child = match get_obj_of_type(doc, obj, key, ObjType::Map) {
                Some(c) => c,
                None => doc.put_object(obj, key, ObjType::Map)?,
            };
            let present: Vec<String> = doc.keys(&child).filter(|k| !fields.contains_key(k)).collect();
            for k in present {
                doc.delete(&child, k)?;
            }
            for (k, v) in fields {
                write_field(doc, &child, &k, v)?;
            }
        }
        Json::Array(items) if !matches!(shape_of(&items), ArrayShape::List) => {
            let child = match get_obj_of_type(doc, obj, key, ObjType::Map) {
                Some(c) => c,
                None => doc.put_object(obj, key, ObjType::Map)?,
            };
            if doc.get(&child, KEYED)?.is_none() {
                doc.put(&child, KEYED, true)?;
            }
            write_keyed_items(doc, &child, items)?;
        }
        Json::Array(items) => {
            if read_value(doc, obj, key).as_ref() == Some(&Json::Array(items.clone())) {
                return Ok(());
            }
            let list = doc.put_object(obj, key, ObjType::List)?;
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Json::Object(_) | Json::Array(_) => {
                        // Nested structures inside plain lists are kept whole.
                        doc.insert(&list, i, serde_json::to_string(&item)?)?;
                    }
                    scalar => doc.insert(&list, i, to_scalar(&scalar))?,
                }
            }
        }
        scalar => {
            let new = to_scalar(&scalar);
            let same = matches!(doc.get(obj, key)?, Some((automerge::Value::Scalar(old), _)) if *old == new);
            if !same {
                doc.put(obj, key, new)?;
            }
        }
    }
    Ok(())
}

fn to_scalar(v: &Json) -> ScalarValue {
    match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Number(n) => {
            if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::Array(_) | Json::Object(_) => unreachable!("only scalars"),
    }
}

fn from_scalar(s: &ScalarValueRef<'_>) -> Json {
    match s {
        ScalarValueRef::Null => Json::Null,
        ScalarValueRef::Boolean(b) => Json::Bool(*b),
        ScalarValueRef::Str(s) => Json::String(s.to_string()),
        ScalarValueRef::Uint(u) => Json::from(*u),
        ScalarValueRef::Int(i) | ScalarValueRef::Counter(i) | ScalarValueRef::Timestamp(i) => Json::from(*i),
        ScalarValueRef::F64(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        _ => Json::Null,
    }
}

fn read_value(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<Json> {
    match doc.get(obj, key).ok()?? {
        (automerge::Value::Object(ObjType::Map), id) => Some(read_map(doc, &id)),
        (automerge::Value::Object(ObjType::List), id) => Some(read_list(doc, &id)),
        (automerge::Value::Scalar(s), _) => Some(from_scalar(&scalar_ref(&s))),
        _ => None,
    }
}

fn scalar_ref(s: &ScalarValue) -> ScalarValueRef<'_> {
    match s {
        ScalarValue::Null => ScalarValueRef::Null,
        ScalarValue::Boolean(b) => ScalarValueRef::Boolean(*b),
        ScalarValue::Str(s) => ScalarValueRef::Str(s.as_str().into()),
        ScalarValue::Uint(u) => ScalarValueRef::Uint(*u),
        ScalarValue::Int(i) => ScalarValueRef::Int(*i),
        ScalarValue::F64(f) => ScalarValueRef::F64(*f),
        ScalarValue::Counter(c) => ScalarValueRef::Int(i64::from(c)),
        ScalarValue::Timestamp(t) => ScalarValueRef::Timestamp(*t),
        _ => ScalarValueRef::Null,
    }
}

fn read_map(doc: &AutoCommit, obj: &ObjId) -> Json {
    let mut out = Map::new();
    let mut keyed = false;
    for item in doc.map_range(obj, ..) {
        let v = match &item.value {
            ValueRef::Object(ObjType::Map) => read_map(doc, &item.id()),
            ValueRef::Object(ObjType::List) => read_list(doc, &item.id()),
            ValueRef::Object(_) => continue,
            ValueRef::Scalar(s) => from_scalar(s),
        };
        if item.key == KEYED {
            keyed = true;
            continue;
        }
        out.insert(item.key.to_string(), v);
    }
    if !keyed {
        return Json::Object(out);
    }
    let mut items: Vec<(u64, Json)> = out
        .into_iter()
        .map(|(k, mut v)| match v.as_object_mut() {
            Some(o) => (o.remove(ORDER).and_then(|o| o.as_u64()).unwrap_or(u64::MAX), v),
            // A set member: the key is the value, the value its position.
            None => (v.as_u64().unwrap_or(u64::MAX), Json::String(k)),
        })
        .collect();
    items.sort_by_key(|(o, _)| *o);
    Json::Array(items.into_iter().map(|(_, v)| v).collect())
}

fn read_list(doc: &AutoCommit, obj: &ObjId) -> Json {
    Json::Array(
        doc.list_range(obj, ..)
            .map(|item| match &item.value {
                ValueRef::Scalar(ScalarValueRef::Str(s)) if s.starts_with('{') || s.starts_with('[') => {
                    serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.to_string()))
                }
                ValueRef::Scalar(s) => from_scalar(s),
                ValueRef::Object(_) => Json::Null,
            })
            .collect(),
    )
}

fn get_obj(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<ObjId> {
    super::get_obj(doc, obj, key)
}

fn get_obj_of_type(doc: &AutoCommit, obj: &ObjId, key: &str, ty: ObjType) -> Option<ObjId> {
    match doc.get(obj, key) {
        Ok(Some((automerge::Value::Object(t), id))) if t == ty => Some(id),
        _ => None,
    }
}
