//! What readers see instead of ids: people's, contractors', units' and
//! rooms' names from the project's own lists, in both languages. Every
//! screen and report that names an author, a contractor or a place takes it
//! from here, so the tablet, the console and the printed report agree, and
//! an id the project does not know is said to be one (`known: false`)
//! rather than passed off as a name.

use crate::ids::*;
use crate::model::{I18nText, Project, RoomKind, Severity};
use serde::{Deserialize, Serialize};

/// A name for a reader in both languages. `known` is false when the
/// project's lists do not hold the id: the text is then the id itself, and
/// a reader shows it marked as such.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shown {
    pub zh: String,
    pub en: String,
    pub known: bool,
}

impl Shown {
    pub fn known(text: I18nText) -> Self {
        // A name given in one language only is shown in both.
        let zh = if text.zh.is_empty() { text.en.clone() } else { text.zh };
        let en = if text.en.is_empty() { zh.clone() } else { text.en };
        Self { zh, en, known: true }
    }
    /// The same word in both languages (people's names).
    pub fn same(text: &str) -> Self {
        Self { zh: text.into(), en: text.into(), known: true }
    }
    /// An id the project does not name: itself, marked unknown.
    pub fn unknown(id: &str) -> Self {
        Self { zh: id.into(), en: id.into(), known: false }
    }
    pub fn text(&self) -> I18nText {
        I18nText::new(self.zh.clone(), self.en.clone())
    }
}

/// Prefix of the authors the server writes for a contractor acting through its link.
pub const CONTRACTOR_AUTHOR: &str = "contractor:";
/// Prefix of the authors the server writes for itself (`system:outbox`).
pub const SYSTEM_AUTHOR: &str = "system:";

impl Project {
    /// Who wrote an event or an act: a person of the project; a contractor
    /// acting through its link (`contractor:<id>`); the server itself
    /// (`system:<part>`); an Automerge actor's `user:<id>`; else unknown.
    pub fn author_name(&self, by: &UserId) -> Shown {
        self.author_name_with(by, &|_| None)
    }

    /// The same, with `account` naming an account the project's people do
    /// not list (a CS-center account of the company need not be one of a
    /// project's people; the server knows its accounts' names).
    pub fn author_name_with(&self, by: &UserId, account: &dyn Fn(&str) -> Option<String>) -> Shown {
        let id = by.as_str();
        let id = id.strip_prefix("user:").unwrap_or(id);
        if let Some(p) = self.people.get(&UserId::new(id)) {
            return Shown::same(&p.name);
        }
        if let Some(name) = account(id) {
            return Shown::same(&name);
        }
        if let Some(c) = id.strip_prefix(CONTRACTOR_AUTHOR) {
            return self.contractor_name(&ContractorId::new(c));
        }
        match id.strip_prefix(SYSTEM_AUTHOR) {
            Some("outbox") => Shown::known(I18nText::new("系统（通知发送）", "System (notifications)")),
            Some(_) => Shown::known(I18nText::new("系统", "System")),
            None => Shown::unknown(by.as_str()),
        }
    }

    pub fn contractor_name(&self, id: &ContractorId) -> Shown {
        if id.as_str() == crate::kpi::UNASSIGNED {
            return Shown::known(I18nText::new("（未派单）", "(not dispatched)"));
        }
        self.contractors.get(id).map_or_else(|| Shown::unknown(id.as_str()), |c| Shown::known(c.name.clone()))
    }

    pub fn building_name(&self, id: &BuildingId) -> Shown {
        self.buildings.get(id).map_or_else(|| Shown::unknown(id.as_str()), |b| Shown::known(b.name.clone()))
    }

    /// A unit as people say it: its building's name and its door number
    /// ("1号楼 0302", "Building 1 0302").
    pub fn unit_name(&self, id: &UnitId) -> Shown {
        let Some(u) = self.units.get(id) else { return Shown::unknown(id.as_str()) };
        let b = self.building_name(&u.building);
        Shown { zh: format!("{} {}", b.zh, u.number), en: format!("{} {}", b.en, u.number), known: b.known }
    }

    /// A room of a unit by its unit type's name for it ("主卧", "Master bedroom").
    pub fn room_name(&self, unit: &UnitId, room: &RoomId) -> Shown {
        self.unit_type_of(unit)
            .and_then(|t| t.room(room))
            .map_or_else(|| Shown::unknown(room.as_str()), |r| Shown::known(r.name.clone()))
    }

    /// An element of a unit (the floor drain, the cabinets): the unit type's
    /// material on it, else the title of the first checklist item that inspects it.
    pub fn element_name(&self, unit: &UnitId, element: &ElementId) -> Shown {
        let ut = self.unit_type_of(unit);
        if let Some(m) = ut.and_then(|t| t.material(element)) {
            return Shown::known(m.name.clone());
        }
        let item = ut
            .and_then(|t| self.templates.get(&t.template))
            .into_iter()
            .chain(self.templates.values())
            .flat_map(|t| t.items.iter())
            .find(|i| &i.element == element);
        item.map_or_else(|| Shown::unknown(element.as_str()), |i| Shown::known(i.title.clone()))
    }

    pub fn category_name(&self, id: &CategoryId) -> Shown {
        self.categories.get(id).map_or_else(|| Shown::unknown(id.as_str()), |c| Shown::known(c.name.clone()))
    }

    pub fn trade_name(&self, id: &TradeId) -> Shown {
        self.trades.get(id).map_or_else(|| Shown::unknown(id.as_str()), |t| Shown::known(t.name.clone()))
    }
}

impl RoomKind {
    /// The kind's name in both languages (the report's "by room" table).
    pub fn name(self) -> I18nText {
        let (zh, en) = match self {
            RoomKind::Entrance => ("玄关", "Entrance"),
            RoomKind::Living => ("客厅", "Living room"),
            RoomKind::Dining => ("餐厅", "Dining room"),
            RoomKind::Bedroom => ("卧室", "Bedroom"),
            RoomKind::Study => ("书房", "Study"),
            RoomKind::Kitchen => ("厨房", "Kitchen"),
            RoomKind::Bathroom => ("卫生间", "Bathroom"),
            RoomKind::Balcony => ("阳台", "Balcony"),
            RoomKind::Utility => ("设备间", "Utility room"),
            RoomKind::Other => ("其他", "Other"),
        };
        I18nText::new(zh, en)
    }
}

impl Severity {
    pub fn name(self) -> I18nText {
        let (zh, en) = match self {
            Severity::Minor => ("一般", "Minor"),
            Severity::Major => ("重要", "Major"),
            Severity::Critical => ("严重", "Critical"),
        };
        I18nText::new(zh, en)
    }
}

/// The kinds of id a history entry's particulars hold, by the project
/// field a setup change names (`contractors`, `people`, …) or the detail's
/// own key (`contractor`, `responsible`, `unit`, `user`).
fn kind_of_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "contractor" | "responsible" | "contractors" => "contractor",
        "unit" | "units" => "unit",
        "user" | "people" => "user",
        "buildings" | "building" => "building",
        "categories" => "category",
        "trades" => "trade",
        "unit_types" | "unit_type" => "unit_type",
        "templates" | "template" => "template",
        _ => return None,
    })
}

impl Project {
    fn name_of_kind(&self, kind: &str, id: &str, account: &dyn Fn(&str) -> Option<String>) -> Option<Shown> {
        Some(match kind {
            "contractor" => self.contractor_name(&ContractorId::new(id)),
            "unit" => self.unit_name(&UnitId::new(id)),
            "user" => self.author_name_with(&UserId::new(id), account),
            "building" => self.building_name(&BuildingId::new(id)),
            "category" => self.category_name(&CategoryId::new(id)),
            "trade" => self.trade_name(&TradeId::new(id)),
            "unit_type" => self
                .unit_types
                .get(&UnitTypeId::new(id))
                .map_or_else(|| Shown::unknown(id), |t| Shown::known(t.name.clone())),
            "template" => self
                .templates
                .get(&TemplateId::new(id))
                .map_or_else(|| Shown::unknown(id), |t| Shown::known(t.name.clone())),
            _ => return None,
        })
    }
}

/// A history entry for readers: its author's name and the name of every id
/// its particulars hold (the detail's `contractor`, `responsible`, `unit`,
/// `user`, the same inside `old`/`new`, and each setup change's entry
/// key by its field), so the console never shows a bare id it could name.
/// `account` names accounts the project's people do not list.
pub fn history_names(
    project: &Project,
    entry: crate::wire::HistoryEntry,
    account: &dyn Fn(&str) -> Option<String>,
) -> crate::wire::HistoryView {
    use serde_json::Value;
    let mut names = std::collections::BTreeMap::new();
    let mut add = |kind: &str, id: &str| {
        if let Some(n) = project.name_of_kind(kind, id, account) {
            names.insert(format!("{kind}:{id}"), n);
        }
    };
    let d = &entry.detail;
    for obj in [Some(d), d.get("old"), d.get("new")].into_iter().flatten() {
        for (key, v) in obj.as_object().into_iter().flatten() {
            if let (Some(kind), Some(id)) = (kind_of_key(key), v.as_str()) {
                add(kind, id);
            }
        }
    }
    for c in d.get("changes").and_then(Value::as_array).into_iter().flatten() {
        let field = c.get("field").and_then(Value::as_str).unwrap_or_default();
        if let (Some(kind), Some(key)) = (kind_of_key(field), c.get("key").and_then(Value::as_str)) {
            add(kind, key);
        }
    }
    let by_name = project.author_name_with(&entry.by, account);
    crate::wire::HistoryView { entry, by_name, names }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Project {
        serde_json::from_str(include_str!("../../fixtures/demo/project.json")).unwrap()
    }

    #[test]
    fn authors_are_named_from_the_project_and_unknown_ids_are_marked() {
        let p = demo();
        let check = |by: &str, zh: &str, en: &str, known: bool| {
            assert_eq!(p.author_name(&UserId::new(by)), Shown { zh: zh.into(), en: en.into(), known }, "{by}");
        };
        check("u-cs-wang", "王敏", "王敏", true);
        check("user:u-cs-wang", "王敏", "王敏", true);
        check(
            "contractor:c-guan",
            "江苏固安防水工程有限公司",
            "Jiangsu Gu'an Waterproofing Engineering Co., Ltd.",
            true,
        );
        check("system:outbox", "系统（通知发送）", "System (notifications)", true);
        check("cs", "cs", "cs", false);
        check("contractor:c-gone", "c-gone", "c-gone", false);
    }

    #[test]
    fn places_are_named_by_building_number_and_room() {
        let p = demo();
        let unit = UnitId::new("B1-0101");
        assert_eq!(p.unit_name(&unit).zh, "1号楼 0101");
        assert_eq!(p.unit_name(&unit).en, "Building 1 0101");
        assert!(p.room_name(&unit, &RoomId::new("living")).known);
        assert_ne!(p.room_name(&unit, &RoomId::new("living")).en, "living");
        assert!(!p.room_name(&unit, &RoomId::new("attic")).known);
        assert!(!p.unit_name(&UnitId::new("Z9-9999")).known);
        assert_eq!(RoomKind::Living.name().en, "Living room");
        assert_eq!(Severity::Critical.name().zh, "严重");
    }

    #[test]
    fn a_history_entry_carries_the_name_of_every_id_it_holds() {
        let p = demo();
        let entry = crate::wire::HistoryEntry {
            at: "2026-08-01T00:00:00Z".into(),
            by: UserId::new("u-cs-wang"),
            kind: "reassign".into(),
            what: "reassigned".into(),
            detail: serde_json::json!({
                "unit": "B1-0101", "responsible": "c-guan", "old": { "contractor": "c-guan" },
                "new": { "contractor": "c-nobody" },
                "changes": [{ "field": "contractors", "key": "c-huajian" }, { "field": "name", "old": "a", "new": "b" }],
            }),
        };
        let v = history_names(&p, entry, &|_| None);
        assert_eq!(v.by_name.zh, "王敏");
        let name = |k: &str| v.names.get(k).map(|n| (n.zh.as_str(), n.known));
        assert_eq!(name("unit:B1-0101"), Some(("1号楼 0101", true)));
        assert_eq!(name("contractor:c-guan"), Some(("江苏固安防水工程有限公司", true)));
        assert_eq!(name("contractor:c-nobody"), Some(("c-nobody", false)));
        assert_eq!(name("contractor:c-huajian"), Some(("苏州华建建设集团有限公司", true)));
        assert_eq!(v.names.len(), 4);
    }
}
