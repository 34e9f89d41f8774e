//! Project setup edits: each applied to the common test project, with the
//! exact refusal when it cannot be applied.

mod common;
use common::*;
use walkthrough_core::model::*;
use walkthrough_core::setup::{apply_all, new_project, ProjectEdit};
use walkthrough_core::*;

/// Apply `edit` to the test project; `Ok` also runs the project's own checks.
fn check(edit: ProjectEdit, expected: Result<(), &str>) -> Project {
    let mut p = project();
    let got = edit.apply(&mut p).and_then(|()| p.validate().map_err(|e| e.to_string()));
    assert_eq!(got.as_ref().map(|_| ()).map_err(String::as_str), expected, "{edit:?}");
    p
}

fn item_of(p: &Project, code: &str) -> ChecklistItem {
    p.templates[&TemplateId::new("std")].items.iter().find(|i| i.code.as_str() == code).unwrap().clone()
}

fn codes(p: &Project) -> Vec<String> {
    p.templates[&TemplateId::new("std")].items.iter().map(|i| i.code.0.clone()).collect()
}

#[test]
fn checklist_items_are_edited_moved_and_retired_never_deleted() {
    let p0 = project();
    let mut item = item_of(&p0, "KIT-01");
    item.standard = I18nText::new("新标准", "New standard");
    let p = check(ProjectEdit::PutItem { template: "std".into(), item: item.clone() }, Ok(()));
    assert_eq!(item_of(&p, "KIT-01").standard.en, "New standard");
    assert_eq!(codes(&p), ["KIT-01", "KIT-02", "BTH-01"]);

    let mut moved = item.clone();
    moved.room_kind = RoomKind::Bathroom;
    check(
        ProjectEdit::PutItem { template: "std".into(), item: moved },
        Err("item KIT-01 belongs to kitchen rooms and cannot move to bathroom rooms: retire it and add a new item"),
    );
    let mut new = item.clone();
    new.code = "KIT-03".into();
    assert_eq!(codes(&check(ProjectEdit::PutItem { template: "std".into(), item: new.clone() }, Ok(()))).len(), 4);
    new.default_category = "nope".into();
    check(
        ProjectEdit::PutItem { template: "std".into(), item: new },
        Err("the project is not valid:\ntemplate std: item KIT-03 names unknown category `nope`"),
    );
    check(ProjectEdit::PutItem { template: "x".into(), item }, Err("template `x` does not exist"));

    let p = check(ProjectEdit::MoveItem { template: "std".into(), code: "BTH-01".into(), to: 0 }, Ok(()));
    assert_eq!(codes(&p), ["BTH-01", "KIT-01", "KIT-02"]);
    let p = check(ProjectEdit::MoveItem { template: "std".into(), code: "KIT-01".into(), to: 99 }, Ok(()));
    assert_eq!(codes(&p), ["KIT-02", "BTH-01", "KIT-01"]);

    let p = check(ProjectEdit::RetireItem { template: "std".into(), code: "KIT-02".into(), retired: true }, Ok(()));
    assert!(item_of(&p, "KIT-02").retired);
    let unit = p.units.keys().next().unwrap().clone();
    assert!(!p.checklist(&unit).iter().any(|e| e.item.code.as_str() == "KIT-02"));
    assert!(p.item(&unit, &"KIT-02".into()).is_some(), "a retired item is still found for its history");
    check(
        ProjectEdit::RetireItem { template: "std".into(), code: "NO".into(), retired: true },
        Err("item `NO` is not in template std"),
    );

    let p = check(ProjectEdit::CopyTemplate { from: "std".into(), id: "std-T".into(), name: i18n("copy") }, Ok(()));
    assert_eq!(p.templates[&TemplateId::new("std-T")].items.len(), 3);
    check(
        ProjectEdit::CopyTemplate { from: "std".into(), id: "std".into(), name: i18n("copy") },
        Err("template `std` already exists"),
    );
}

#[test]
fn categories_keep_one_other_and_a_real_deadline() {
    let mut c = project().categories.values().next().unwrap().clone();
    c.deadline_hours = 0;
    check(
        ProjectEdit::PutCategory { category: c.clone() },
        Err(&format!("category {}: the rectification deadline must be at least 1 hour", c.id)),
    );
    let other = project().categories.values().find(|c| c.is_other).map(|c| c.id.clone());
    c.deadline_hours = 24;
    c.is_other = true;
    c.id = "other2".into();
    match other {
        Some(o) => {
            check(
                ProjectEdit::PutCategory { category: c },
                Err(&format!("category {o} is already the \"other\" category")),
            );
        }
        None => {
            check(ProjectEdit::PutCategory { category: c }, Ok(()));
        }
    }
    let mut c = project().categories.values().next().unwrap().clone();
    c.hard_kind = Some(HardKind::DesignDefect);
    let p = check(ProjectEdit::PutCategory { category: c.clone() }, Ok(()));
    assert_eq!(p.categories[&c.id].hard_kind, Some(HardKind::DesignDefect));
}

#[test]
fn trades_materials_and_rooms() {
    let p0 = project();
    let contractor = p0.contractors.keys().next().unwrap().clone();
    let a = TradeAssignment { trade: "tiling".into(), building: Some("B1".into()), contractor: contractor.clone() };
    let p = check(ProjectEdit::AssignTrade { assignment: a.clone() }, Ok(()));
    let again = ProjectEdit::AssignTrade { assignment: a.clone() };
    let mut q = p.clone();
    again.apply(&mut q).unwrap();
    assert_eq!(q.trade_assignments.len(), p.trade_assignments.len(), "an assignment replaces, never doubles");
    check(
        ProjectEdit::UnassignTrade { trade: "tiling".into(), building: Some("B2".into()) },
        if p0
            .trade_assignments
            .iter()
            .any(|x| x.trade.as_str() == "tiling" && x.building.as_ref().is_some_and(|b| b.as_str() == "B2"))
        {
            Ok(())
        } else {
            Err("trade `tiling` is not assigned there")
        },
    );
    let m = Material {
        element: "sink".into(),
        name: i18n("sink"),
        spec: "304".into(),
        supplier: "nobody".into(),
        supplier_installs: true,
    };
    check(
        ProjectEdit::PutMaterial { unit_type: "T".into(), material: m },
        Err("the project is not valid:\nunit type T: material `sink` names unknown supplier `nobody`"),
    );
    check(
        ProjectEdit::RemoveMaterial { unit_type: "T".into(), element: "sink".into() },
        Err("unit type T has no material for `sink`"),
    );
    let mut ut = p0.unit_types[&UnitTypeId::new("T")].clone();
    ut.rooms.retain(|r| r.id.as_str() != "bath");
    ut.materials.clear();
    check(
        ProjectEdit::PutUnitType { unit_type: ut.clone() },
        Err("room `bath` cannot be removed from unit type T: units of this type exist"),
    );
    ut.rooms.push(Room {
        id: "bath".into(),
        kind: RoomKind::Bathroom,
        name: i18n("bath"),
        plan_area: None,
        outline: vec![],
    });
    ut.rooms.push(Room {
        id: "bal".into(),
        kind: RoomKind::Balcony,
        name: i18n("balcony"),
        plan_area: None,
        outline: vec![],
    });
    let p = check(ProjectEdit::PutUnitType { unit_type: ut }, Ok(()));
    let t = &p.unit_types[&UnitTypeId::new("T")];
    assert_eq!(t.rooms.len(), 3);
    assert_eq!(t.materials.len(), 2, "materials left out are kept");
    check(
        ProjectEdit::PutBuilding {
            building: Building { id: "B1".into(), name: i18n("B1"), floors: 1, engineer: None },
        },
        Err("building B1 has units on floor 3; it cannot have only 1 floor(s)"),
    );
}

#[test]
fn round_plans_come_in_order_and_name_real_people() {
    let p0 = project();
    let inspector = p0.people.values().find(|p| p.role == Role::Inspector).unwrap().id.clone();
    let plan = |no: u32, who: &str| RoundPlan {
        no: RoundNo(no),
        start: chrono::NaiveDate::from_ymd_opt(2026, 10, 10).unwrap(),
        due: chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
        assignments: vec![RoundAssignment { inspector: UserId::new(who), buildings: vec!["B2".into()], units: vec![] }],
        notes: String::new(),
    };
    let next = p0.rounds.len() as u32 + 1;
    check(
        ProjectEdit::PutRound { round: plan(next + 1, inspector.as_str()) },
        Err(&format!("the next round to plan is round {next}")),
    );
    check(
        ProjectEdit::PutRound { round: plan(next, "ghost") },
        Err(&format!("the project is not valid:\nround {next}: inspector `ghost` is not a known person")),
    );
    let person =
        Person {
            id: "u-new".into(), name: "新人".into(), role: Role::Inspector, org: String::new(), contractor: None
        };
    let mut p = project();
    apply_all(&mut p, &[ProjectEdit::PutPerson { person }, ProjectEdit::PutRound { round: plan(next, "u-new") }])
        .unwrap();
    p.validate().unwrap();
    let b2: Vec<_> = p.units_of(&"B2".into()).into_iter().map(|u| u.id.clone()).collect();
    assert_eq!(p.assigned_units(RoundNo(next), &"u-new".into()).into_iter().collect::<Vec<_>>(), b2);
    let err = apply_all(
        &mut project(),
        &[
            ProjectEdit::SetInfo { name: i18n("x"), handover_date: p0.handover_date },
            ProjectEdit::RetireItem { template: "std".into(), code: "NO".into(), retired: true },
        ],
    )
    .unwrap_err();
    assert_eq!(err, "change 2 (checklist item NO of template std retired): item `NO` is not in template std");
}

#[test]
fn a_new_project_takes_the_library_standards_without_retired_items() {
    let mut lib = project();
    lib.templates.get_mut(&TemplateId::new("std")).unwrap().items[1].retired = true;
    let org = OrgNode { id: "C".into(), name: i18n("C") };
    let p =
        new_project("P2".into(), i18n("New"), org.clone(), org.clone(), lib.handover_date, "Asia/Shanghai", Some(&lib))
            .unwrap();
    assert_eq!(codes(&p), ["KIT-01", "BTH-01"]);
    assert_eq!(p.categories, lib.categories);
    assert!(p.units.is_empty() && p.people.is_empty() && p.rounds.is_empty());
    p.validate().unwrap();
    let err =
        new_project("a b".into(), i18n("New"), org.clone(), org, lib.handover_date, "Asia/Shanghai", None).unwrap_err();
    assert_eq!(
        err,
        "a project id \"a b\" cannot contain a space: use only letters A–Z and a–z, digits, '.', '_' and '-'"
    );
}

#[test]
fn codes_chosen_by_the_cs_center_hold_only_safe_characters() {
    let cases: &[(&str, Result<(), &str>)] = &[
        ("hj-lanting", Ok(())),
        ("B1-0302", Ok(())),
        ("KIT-03", Ok(())),
        ("u.cs_wang", Ok(())),
        ("", Err("a code is required")),
        ("-x", Err("a code \"-x\" must start with a letter (A–Z, a–z) or a digit")),
        ("a\"b", Err("a code \"a\"b\" cannot contain '\"': use only letters A–Z and a–z, digits, '.', '_' and '-'")),
        ("a/b", Err("a code \"a/b\" cannot contain '/': use only letters A–Z and a–z, digits, '.', '_' and '-'")),
        ("a<b>", Err("a code \"a<b>\" cannot contain '<': use only letters A–Z and a–z, digits, '.', '_' and '-'")),
        (
            "a\u{7}b",
            Err("a code \"a\\u{7}b\" cannot contain a control character (\\u{7}): use only letters A–Z and a–z, digits, '.', '_' and '-'"),
        ),
        ("楼1", Err("a code \"楼1\" must start with a letter (A–Z, a–z) or a digit")),
    ];
    for (code, expected) in cases {
        assert_eq!(check_code("a code", code).as_ref().map(|_| ()).map_err(String::as_str), *expected, "{code:?}");
    }
    assert!(check_code("a code", &"a".repeat(64)).is_ok());
    assert!(check_code("a code", &"a".repeat(65)).unwrap_err().contains("at most 64 characters"));
}

#[test]
fn new_entities_need_safe_codes_and_existing_ones_stay_editable() {
    let p0 = project();
    let mut contractor = p0.contractors.values().next().unwrap().clone();
    let existing = contractor.id.clone();
    contractor.name = I18nText::new("\"><img src=x onerror=alert(1)>", "x");
    // A name is text: anything goes. An existing id is kept as it is.
    check(ProjectEdit::PutContractor { contractor: contractor.clone() }, Ok(()));
    contractor.id = ContractorId::new("c x");
    check(
        ProjectEdit::PutContractor { contractor },
        Err("a contractor id \"c x\" cannot contain a space: use only letters A–Z and a–z, digits, '.', '_' and '-'"),
    );
    let mut building = p0.buildings.values().next().unwrap().clone();
    building.id = BuildingId::new("B'9");
    check(
        ProjectEdit::PutBuilding { building },
        Err("a building id \"B'9\" cannot contain '\\'': use only letters A–Z and a–z, digits, '.', '_' and '-'"),
    );
    let _ = existing;
}

fn pt(x: f64, y: f64) -> Point {
    Point { x, y }
}

fn outlines(rooms: &[(&str, Vec<Point>)]) -> ProjectEdit {
    ProjectEdit::SetRoomOutlines {
        unit_type: "T".into(),
        outlines: rooms
            .iter()
            .map(|(r, o)| walkthrough_core::setup::RoomOutline { room: (*r).into(), outline: o.clone() })
            .collect(),
    }
}

#[test]
fn room_outlines_are_checked_polygons_on_the_plan() {
    let tri = vec![pt(0.6, 0.1), pt(0.9, 0.1), pt(0.75, 0.5)];
    let square = vec![pt(0.0, 0.0), pt(0.4, 0.0), pt(0.4, 0.4), pt(0.0, 0.4)];
    let p = check(outlines(&[("kit", square.clone()), ("bath", tri.clone())]), Ok(()));
    let t = &p.unit_types[&UnitTypeId::new("T")];
    assert_eq!(t.room(&"kit".into()).unwrap().outline, square);
    assert_eq!(t.room(&"kit".into()).unwrap().plan_area, None, "the drawn outline replaces the rectangle");
    assert_eq!(t.room_at(pt(0.2, 0.2)).map(|r| r.id.as_str()), Some("kit"));
    assert_eq!(t.room_at(pt(0.75, 0.2)).map(|r| r.id.as_str()), Some("bath"));
    assert_eq!(t.room_at(pt(0.62, 0.45)), None, "outside the triangle, inside its bounding box");
    assert_eq!(t.room_at(pt(0.4, 0.2)).map(|r| r.id.as_str()), Some("kit"), "a pin on a wall is in the room");

    // Pins: within the room's outline when it has one.
    assert_eq!(t.check_pin(&"kit".into(), pt(0.1, 0.1)), Ok(()));
    assert_eq!(
        t.check_pin(&"kit".into(), pt(0.8, 0.8)),
        Err("the pin must lie within the outline of kitchen on the floor plan".into())
    );
    assert_eq!(t.check_pin(&"kit".into(), pt(1.2, 0.8)), Err("the floor-plan pin must lie within the plan".into()));

    // Clearing one room keeps the other; a room without an outline takes a pin anywhere.
    let mut p2 = p.clone();
    outlines(&[("kit", vec![])]).apply(&mut p2).unwrap();
    let t2 = &p2.unit_types[&UnitTypeId::new("T")];
    assert!(t2.room(&"kit".into()).unwrap().outline().is_empty());
    assert_eq!(t2.room(&"bath".into()).unwrap().outline, tri);
    assert_eq!(t2.check_pin(&"kit".into(), pt(0.9, 0.9)), Ok(()));

    // Editing the unit type (rooms sent without outlines) keeps them.
    let mut ut = t.clone();
    for r in &mut ut.rooms {
        r.outline.clear();
    }
    let mut p3 = p.clone();
    ProjectEdit::PutUnitType { unit_type: ut }.apply(&mut p3).unwrap();
    assert_eq!(p3.unit_types[&UnitTypeId::new("T")].room(&"bath".into()).unwrap().outline, tri);

    check(
        outlines(&[("kit", vec![pt(0.1, 0.1), pt(0.2, 0.2)])]),
        Err("room kit: an outline needs at least 3 corners (it has 2)"),
    );
    check(
        outlines(&[("kit", vec![pt(0.1, 0.1), pt(1.5, 0.2), pt(0.2, 0.3)])]),
        Err("room kit: corner (1.5, 0.2) lies outside the floor plan (0–1 across and down)"),
    );
    check(
        outlines(&[("kit", vec![pt(0.1, 0.1), pt(f64::NAN, 0.2), pt(0.2, 0.3)])]),
        Err("room kit: corner (NaN, 0.2) lies outside the floor plan (0–1 across and down)"),
    );
    check(
        outlines(&[("kit", vec![pt(0.1, 0.1), pt(0.2, 0.2), pt(0.3, 0.3)])]),
        Err("room kit: an outline must enclose an area (its corners lie on one line)"),
    );
    check(
        outlines(&[(
            "kit",
            (0..65).map(|i| pt(0.5 + 0.4 * (i as f64 / 10.0).cos(), 0.5 + 0.4 * (i as f64 / 10.0).sin())).collect(),
        )]),
        Err("room kit: an outline may have at most 64 corners (it has 65)"),
    );
    check(outlines(&[("attic", square.clone())]), Err("unit type T has no room `attic`"));
    check(outlines(&[("kit", square.clone()), ("kit", tri.clone())]), Err("room `kit` is outlined twice"));
    check(outlines(&[]), Err("no room outlines were given"));
    check(
        ProjectEdit::SetRoomOutlines { unit_type: "X".into(), outlines: vec![] },
        Err("unit type `X` does not exist"),
    );

    // A project document that carries a bad outline is refused by the model's own checks.
    let mut bad = project();
    bad.unit_types.get_mut(&UnitTypeId::new("T")).unwrap().rooms[0].outline = vec![pt(0.1, 0.1), pt(0.2, 0.2)];
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "the project is not valid:\nunit type T: the outline of room kit: an outline needs at least 3 corners (it has 2)"
    );
}
