//! A small project and helpers shared by the core's tests.
#![allow(dead_code)]

use chrono::NaiveDate;
use std::collections::BTreeMap;
use walkthrough_core::defect::*;
use walkthrough_core::model::*;
use walkthrough_core::time::{self, Time};
use walkthrough_core::*;

pub fn t0() -> Time {
    time::parse("2026-07-20T08:00:00Z")
}

/// `t0` plus `h` hours.
pub fn at(h: i64) -> Time {
    t0() + chrono::Duration::hours(h)
}

pub fn i18n(s: &str) -> I18nText {
    I18nText::new(s, s)
}

fn cat(id: &str, hours: u32, hard: Option<HardKind>, other: bool) -> Category {
    Category {
        id: id.into(),
        name: i18n(id),
        severity: if hours <= 48 { Severity::Critical } else { Severity::Minor },
        deadline_hours: hours,
        deadline_end_of_day: false,
        hard_kind: hard,
        is_other: other,
        urgent: hours <= 48,
    }
}

fn item(code: &str, kind: RoomKind, element: &str, cat: &str, trade: &str) -> ChecklistItem {
    ChecklistItem {
        code: code.into(),
        room_kind: kind,
        element: element.into(),
        title: i18n(code),
        standard: i18n("standard"),
        method: i18n("method"),
        default_category: cat.into(),
        default_trade: trade.into(),
        retired: false,
    }
}

fn contractor(id: &str, kind: ContractorKind, trades: &[&str]) -> Contractor {
    Contractor {
        id: id.into(),
        name: i18n(id),
        kind,
        trades: trades.iter().map(|t| TradeId::from(*t)).collect(),
        contact: Contact::default(),
    }
}

/// Two buildings, one unit type (kitchen + bathroom), three items, six units.
pub fn project() -> Project {
    let mut p = Project {
        id: "P".into(),
        name: i18n("Test project"),
        group: OrgNode { id: "G".into(), name: i18n("Group") },
        company: OrgNode { id: "C".into(), name: i18n("Company") },
        handover_date: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        time_zone: "Asia/Shanghai".into(),
        buildings: BTreeMap::new(),
        unit_types: BTreeMap::new(),
        units: BTreeMap::new(),
        templates: BTreeMap::new(),
        categories: BTreeMap::new(),
        trades: BTreeMap::new(),
        contractors: BTreeMap::new(),
        trade_assignments: vec![],
        people: BTreeMap::new(),
        rounds: BTreeMap::new(),
    };
    for (b, eng) in [("B1", "eng-1"), ("B2", "eng-2")] {
        p.buildings.insert(b.into(), Building { id: b.into(), name: i18n(b), floors: 3, engineer: Some(eng.into()) });
    }
    p.unit_types.insert(
        "T".into(),
        UnitType {
            id: "T".into(),
            name: i18n("T"),
            area_m2: Some(89.0),
            floor_plan: None,
            template: "std".into(),
            rooms: vec![
                Room {
                    id: "kit".into(),
                    kind: RoomKind::Kitchen,
                    name: i18n("kitchen"),
                    plan_area: Some(Rect { x: 0.0, y: 0.0, w: 0.5, h: 1.0 }),
                    outline: vec![],
                },
                Room {
                    id: "bath".into(),
                    kind: RoomKind::Bathroom,
                    name: i18n("bath"),
                    plan_area: Some(Rect { x: 0.5, y: 0.0, w: 0.5, h: 1.0 }),
                    outline: vec![],
                },
            ],
            materials: vec![
                // The cabinet supplier installs its cabinets…
                Material {
                    element: "cabinet".into(),
                    name: i18n("cabinet"),
                    spec: String::new(),
                    supplier: "s-cab".into(),
                    supplier_installs: true,
                },
                // …the tile supplier only delivers; the tiler lays them.
                Material {
                    element: "floor_tiles".into(),
                    name: i18n("tiles"),
                    spec: String::new(),
                    supplier: "s-tile".into(),
                    supplier_installs: false,
                },
            ],
        },
    );
    p.templates.insert(
        "std".into(),
        ChecklistTemplate {
            id: "std".into(),
            name: i18n("std"),
            items: vec![
                item("KIT-01", RoomKind::Kitchen, "cabinet", "fitting", "kitchen"),
                item("KIT-02", RoomKind::Kitchen, "floor_tiles", "tile", "tiling"),
                item("BTH-01", RoomKind::Bathroom, "floor_drain", "leak", "waterproofing"),
            ],
        },
    );
    for c in [
        cat("leak", 48, Some(HardKind::Leakage), false),
        cat("tile", 120, None, false),
        cat("fitting", 72, None, false),
        cat("paint", 168, None, false),
        cat("design", 240, Some(HardKind::DesignDefect), false),
        cat("promise", 240, Some(HardKind::SalesPromise), false),
        cat("other", 168, None, true),
    ] {
        p.categories.insert(c.id.clone(), c);
    }
    for t in ["kitchen", "tiling", "waterproofing", "painting"] {
        p.trades.insert(t.into(), Trade { id: t.into(), name: i18n(t) });
    }
    for c in [
        contractor("c-water", ContractorKind::Contractor, &["waterproofing"]),
        contractor("c-tile", ContractorKind::Contractor, &["tiling"]),
        contractor("c-tile-b2", ContractorKind::Contractor, &["tiling"]),
        contractor("s-cab", ContractorKind::Supplier, &["kitchen"]),
        contractor("s-tile", ContractorKind::Supplier, &["tiling"]),
        contractor("c-fitout", ContractorKind::Contractor, &["kitchen"]),
    ] {
        p.contractors.insert(c.id.clone(), c);
    }
    p.trade_assignments = vec![
        TradeAssignment { trade: "waterproofing".into(), building: None, contractor: "c-water".into() },
        TradeAssignment { trade: "tiling".into(), building: None, contractor: "c-tile".into() },
        TradeAssignment { trade: "tiling".into(), building: Some("B2".into()), contractor: "c-tile-b2".into() },
        TradeAssignment { trade: "kitchen".into(), building: None, contractor: "c-fitout".into() },
    ];
    for (id, role) in [
        ("insp-a", Role::Inspector),
        ("insp-b", Role::Inspector),
        ("cs", Role::CsAdmin),
        ("eng-1", Role::Engineer),
        ("eng-2", Role::Engineer),
    ] {
        p.people
            .insert(id.into(), Person { id: id.into(), name: id.into(), role, org: String::new(), contractor: None });
    }
    for b in ["B1", "B2"] {
        for n in 1..=3 {
            let id = format!("{b}-{n:02}01");
            p.units.insert(
                UnitId::new(&id),
                Unit {
                    id: UnitId::new(&id),
                    building: b.into(),
                    floor: n,
                    number: format!("{n:02}01"),
                    unit_type: "T".into(),
                },
            );
        }
    }
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    for (no, start, due) in [(1, d(7, 20), d(7, 31)), (2, d(8, 24), d(9, 4)), (3, d(9, 28), d(10, 9))] {
        p.rounds.insert(
            RoundNo(no),
            RoundPlan {
                no: RoundNo(no),
                start,
                due,
                assignments: vec![
                    RoundAssignment { inspector: "insp-a".into(), buildings: vec!["B1".into()], units: vec![] },
                    RoundAssignment { inspector: "insp-b".into(), buildings: vec!["B2".into()], units: vec![] },
                ],
                notes: String::new(),
            },
        );
    }
    p.validate().expect("test project is valid");
    p
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_random() -> [u8; 10] {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut r = [0u8; 10];
    r[2..].copy_from_slice(&n.to_be_bytes());
    r
}

pub fn defect_id(at: Time) -> DefectId {
    DefectId::from_parts(at.timestamp_millis() as u64, next_random())
}

pub fn event_id(at: Time) -> EventId {
    EventId::from_parts(at.timestamp_millis() as u64, next_random())
}

pub fn defect(unit: &str, category: &str, round: u32, found_at: Time) -> Defect {
    Defect {
        id: defect_id(found_at),
        unit: unit.into(),
        room: "bath".into(),
        item: Some("BTH-01".into()),
        element: "floor_drain".into(),
        spot: "by the shower".into(),
        pin: None,
        description: "water stands around the drain".into(),
        category: category.into(),
        other_reason: None,
        root_cause: None,
        root_cause_note: None,
        severity: Severity::Major,
        source: Source::OwnInspection,
        trade: "waterproofing".into(),
        responsible: Some("c-water".into()),
        found_round: RoundNo(round),
        found_by: "insp-a".into(),
        found_at,
        photos: BTreeMap::new(),
        events: vec![],
    }
}

pub fn event(at: Time, by: &str, round: u32, kind: EventKind) -> DefectEvent {
    DefectEvent { id: event_id(at), at, device_at: None, by: by.into(), round: RoundNo(round), kind }
}

pub fn assigned(h: i64, contractor: &str, deadline_h: i64, round: u32) -> DefectEvent {
    event(at(h), "cs", round, EventKind::Assigned { contractor: contractor.into(), deadline: at(deadline_h) })
}
pub fn fixed(h: i64, round: u32) -> DefectEvent {
    event(at(h), "c-water", round, EventKind::ReportedFixed { note: "fixed".into(), photo: None })
}
pub fn recheck(h: i64, round: u32, passed: bool, new_deadline_h: Option<i64>) -> DefectEvent {
    event(
        at(h),
        "insp-a",
        round,
        EventKind::Rechecked { passed, note: String::new(), photo: None, new_deadline: new_deadline_h.map(at) },
    )
}
