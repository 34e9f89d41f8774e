//! The project document: structure, unit types, templates, categories,
//! trades, contractors, people and round plans.
//!
//! The model is mapped generically from its serde form: objects become maps
//! (so concurrent edits to different fields both survive), arrays of entities
//! that carry an id (`id`, `code`, `no`, `element`) become maps keyed by that
//! id with an `_order` field (never positional lists), and other arrays
//! (a contractor's list of trades) become small lists.

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
const KEY_FIELDS: [&str; 4] = ["id", "code", "no", "element"];
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
        let doc = AutoCommit::load(bytes)?;
        check_kind(&doc, "project")?;
        Ok(Self { doc })
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

    /// Write every part of `project` that differs from what the document
    /// holds, entity by entity and field by field, as one change.
    pub fn write(&mut self, project: &Project, by: &UserId, at: Time) -> Result<()> {
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
    KEY_FIELDS.iter().find_map(|f| match obj.get(*f)? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn write_keyed_items(doc: &mut AutoCommit, obj: &ObjId, items: Vec<Json>) -> Result<()> {
    let mut keep = std::collections::BTreeSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let key = key_of(&item).expect("caller checked every item has a key");
        let Json::Object(mut fields) = item else { unreachable!() };
        fields.insert(ORDER.to_owned(), Json::from(i as u64));
        write_field(doc, obj, &key, Json::Object(fields))?;
        keep.insert(key);
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
        Json::Array(items) if !items.is_empty() && items.iter().all(|i| key_of(i).is_some()) => {
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
        .map(|(_, mut v)| {
            let order = v.as_object_mut().and_then(|o| o.remove(ORDER)).and_then(|o| o.as_u64()).unwrap_or(u64::MAX);
            (order, v)
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
