//! Entities are kept in maps keyed by id (never positional lists), but the
//! fixture files list them as arrays for people to read and write. This module
//! (de)serialises a `BTreeMap<K, V>` as a JSON array of `V`, rejecting
//! duplicate ids with an error that names the id.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt::Display;

/// An entity that carries its own key.
pub trait Keyed {
    type Key: Ord + Clone + Display;
    fn key(&self) -> Self::Key;
}

pub fn serialize<S, K, V>(map: &BTreeMap<K, V>, s: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    V: Serialize,
{
    s.collect_seq(map.values())
}

pub fn deserialize<'de, D, V>(d: D) -> Result<BTreeMap<V::Key, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de> + Keyed,
{
    let items = Vec::<V>::deserialize(d)?;
    let mut map = BTreeMap::new();
    for item in items {
        let key = item.key();
        if map.insert(key.clone(), item).is_some() {
            return Err(D::Error::custom(format!("duplicate id `{key}`")));
        }
    }
    Ok(map)
}
