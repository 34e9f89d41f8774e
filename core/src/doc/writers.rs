//! Which device wrote what, read from the unit document itself.
//!
//! Every Automerge operation carries the actor of the change that made it,
//! and so does the id of the value it put: an event is one value put once
//! under `<defect>/event/<event>` (never rewritten, see `check`), so the
//! actor of that value is the device that wrote the event. Nothing else has
//! to be recorded, so this holds for documents synced before devices were
//! named, on the tablet and on the server alike.
//!
//! Actors are of three kinds: the fixed genesis actor; the server's own
//! edits, whose actor is the acting party's id as bytes (`user:u-cs-wang`
//! for the console's dispatch and risks, `contractor:c-guan` for the
//! contractor's page, see `sync::edit_units` on the server); and devices
//! (tablets, the simulator), whose actors are random. A device is shown as
//! "name · short id" (`device_label`).

use super::{split_defect_key, UnitDoc, GENESIS_ACTOR};
use crate::error::Result;
use crate::ids::{DefectId, EventId};
use automerge::{ActorId, ReadDoc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The prefixes of the parties the server writes for (its own edits take
/// the party's id as their Automerge actor). A device may never use one.
pub const SERVER_PARTIES: [&str; 3] = ["user:", "contractor:", "system:"];
/// The longest device name, in characters.
pub const DEVICE_NAME_MAX_CHARS: usize = 64;
/// How many hex digits of an actor id are shown beside a device's name.
pub const SHORT_ACTOR_DIGITS: usize = 6;

/// Who wrote an operation, by its Automerge actor.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// The deterministic genesis change every replica shares.
    Genesis,
    /// The server itself, acting for `party` (`user:…` through the console,
    /// `contractor:…` through a contractor's link, `system:…`).
    Server { party: String },
    /// A device (a tablet, the simulator), by its actor id in hex.
    Device { actor: String },
}

impl Origin {
    /// The actor id (hex) of a device; None for the server and genesis.
    pub fn device(&self) -> Option<&str> {
        match self {
            Origin::Device { actor } => Some(actor),
            _ => None,
        }
    }
}

/// What kind of actor `actor` is.
pub fn origin_of(actor: &ActorId) -> Origin {
    let bytes = actor.to_bytes();
    if bytes == GENESIS_ACTOR {
        return Origin::Genesis;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if SERVER_PARTIES.iter().any(|p| s.starts_with(p)) => Origin::Server { party: s.to_owned() },
        _ => Origin::Device { actor: actor.to_hex_string() },
    }
}

/// What kind of actor the hex id `actor_hex` is (a device when it is not hex).
pub fn origin_of_hex(actor_hex: &str) -> Origin {
    match hex_bytes(actor_hex) {
        Some(b) if !b.is_empty() => origin_of(&ActorId::from(b)),
        _ => Origin::Device { actor: actor_hex.to_owned() },
    }
}

/// The bytes of a hex string (None if it is not one).
fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// The first digits of an actor id (hex), as shown beside a device's name.
pub fn short_actor(actor_hex: &str) -> &str {
    actor_hex.get(..SHORT_ACTOR_DIGITS).unwrap_or(actor_hex)
}

/// How a device is shown: "li-tablet · 3fa2c1", or the short id alone when
/// the device never said its name.
pub fn device_label(name: Option<&str>, actor_hex: &str) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} · {}", short_actor(actor_hex)),
        None => short_actor(actor_hex).to_owned(),
    }
}

/// A device name as a tablet sends it: 1 to 64 characters once trimmed, no
/// control characters. Returns the trimmed name, or what is wrong with it.
pub fn check_device_name(name: &str) -> std::result::Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("the device name is empty".into());
    }
    let chars = n.chars().count();
    if chars > DEVICE_NAME_MAX_CHARS {
        return Err(format!("the device name has {chars} characters; at most {DEVICE_NAME_MAX_CHARS} are allowed"));
    }
    if n.chars().any(invisible) {
        return Err("the device name contains control characters or invisible, direction-changing ones".into());
    }
    Ok(n.to_owned())
}

/// Characters a name must not hold: controls, and the format characters
/// that are invisible or turn the text around them (zero-width spaces and
/// joiners, direction marks, embeddings, overrides and isolates, the line
/// and paragraph separators, the byte-order mark, the soft hyphen).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{00ad}' | '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}')
        || matches!(c, '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// A name a device can send, made from whatever it found (the OS hostname):
/// control characters dropped, trimmed, cut to the longest allowed. None
/// when nothing is left.
pub fn clean_device_name(raw: &str) -> Option<String> {
    let kept: String = raw.chars().filter(|c| !invisible(*c)).collect();
    let cut: String = kept.trim().chars().take(DEVICE_NAME_MAX_CHARS).collect();
    check_device_name(&cut).ok()
}

/// A device's actor id as a tablet names it (lowercase hex of 1 to 32
/// bytes), which must not be one of the server's or the genesis actor.
pub fn check_device_actor(actor_hex: &str) -> std::result::Result<ActorId, String> {
    let well_formed = !actor_hex.is_empty()
        && actor_hex.len() <= 64
        && actor_hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let Some(bytes) = hex_bytes(actor_hex).filter(|_| well_formed) else {
        return Err(format!("{:?} is not a device id (lowercase hex, at most 32 bytes)", short(actor_hex)));
    };
    let actor = ActorId::from(bytes);
    match origin_of(&actor) {
        Origin::Device { .. } => Ok(actor),
        _ => Err("that device id is reserved for the server".into()),
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// A writer as readers are shown it (the console's histories, the device
/// list): the server, or a device with its name and short id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceShown {
    /// Written by the server itself: the console's dispatch and risks, a
    /// contractor's link (front ends say "server" / 服务器).
    pub server: bool,
    /// The device's actor id in hex (for the server, the party it acted for).
    pub actor: String,
    /// The name the device gave (its hostname unless set), if it gave one.
    pub name: Option<String>,
    /// "li-tablet · 3fa2c1", or the short id alone (`device_label`); empty
    /// for the server.
    pub label: String,
}

impl DeviceShown {
    /// `origin` shown, with device names from `name_of` (by actor hex).
    /// None for the genesis change, which nobody wrote.
    pub fn of(origin: &Origin, name_of: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        match origin {
            Origin::Genesis => None,
            Origin::Server { party } => {
                Some(DeviceShown { server: true, actor: party.clone(), name: None, label: String::new() })
            }
            Origin::Device { actor } => {
                let name = name_of(actor);
                let label = device_label(name.as_deref(), actor);
                Some(DeviceShown { server: false, actor: actor.clone(), name, label })
            }
        }
    }
}

/// Who wrote each defect and each event of a unit document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Writers {
    /// The writer of each defect's record (its `found_by` value).
    pub defects: BTreeMap<DefectId, Origin>,
    /// The writer of each event.
    pub events: BTreeMap<EventId, Origin>,
}

impl Writers {
    pub fn event(&self, id: EventId) -> Option<&Origin> {
        self.events.get(&id)
    }

    pub fn defect(&self, id: DefectId) -> Option<&Origin> {
        self.defects.get(&id)
    }
}

impl UnitDoc {
    /// Who wrote each defect and event, from the actors of their values.
    pub fn writers(&self) -> Result<Writers> {
        let mut out = Writers::default();
        let dmap = self.defects()?;
        for item in self.doc.map_range(&dmap, ..) {
            let Some((id, rest)) = split_defect_key(&item.key) else { continue };
            let automerge::ObjId::Id(_, actor, _) = item.id() else { continue };
            if rest == "found_by" {
                if let Some(d) = DefectId::parse(id) {
                    out.defects.insert(d, origin_of(&actor));
                }
            } else if let Some(e) = rest.strip_prefix("event/").and_then(EventId::parse) {
                out.events.insert(e, origin_of(&actor));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_names_and_reserved_actors() {
        assert_eq!(device_label(Some("li-tablet"), "3fa2c1d4e5"), "li-tablet · 3fa2c1");
        assert_eq!(device_label(None, "3fa2c1d4e5"), "3fa2c1");
        assert_eq!(device_label(Some("  "), "3fa2"), "3fa2");
        assert_eq!(check_device_name("  li-tablet "), Ok("li-tablet".into()));
        assert!(check_device_name("").unwrap_err().contains("empty"));
        assert!(check_device_name(&"x".repeat(65)).unwrap_err().contains("at most 64"));
        assert!(check_device_name("a\u{7}b").unwrap_err().contains("control"));
        // Invisible and direction-changing characters would hide or turn
        // round what a history row says around the name.
        for c in ['\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}', '\u{2028}', '\u{00ad}'] {
            assert!(check_device_name(&format!("li{c}tablet")).unwrap_err().contains("invisible"), "{c:?}");
        }
        assert_eq!(clean_device_name("li\u{202e}-tablet\u{200b}").as_deref(), Some("li-tablet"));
        assert_eq!(check_device_name("李工的平板"), Ok("李工的平板".into()));
        assert_eq!(clean_device_name(" li\n-tablet\u{0} "), Some("li-tablet".into()));
        assert_eq!(clean_device_name(&"y".repeat(100)).map(|n| n.chars().count()), Some(64));
        assert_eq!(clean_device_name("\n"), None);
        assert!(check_device_actor("00ff3a").is_ok());
        assert!(check_device_actor("00FF").is_err());
        assert!(check_device_actor("abc").is_err());
        assert!(check_device_actor("").is_err());
        let server = ActorId::from(b"user:u-cs-wang".as_slice()).to_hex_string();
        assert!(check_device_actor(&server).unwrap_err().contains("reserved"));
        assert!(check_device_actor(&ActorId::from(GENESIS_ACTOR).to_hex_string()).is_err());
        assert_eq!(
            origin_of(&ActorId::from(b"contractor:c-guan".as_slice())),
            Origin::Server { party: "contractor:c-guan".into() }
        );
    }
}
