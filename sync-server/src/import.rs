//! Unit lists as developers have them (CSV or XLSX: one row per unit with
//! building, floor, door number and unit type), checked row by row and
//! applied all or nothing. Shared by the `import-units` command and the
//! console (`POST /api/v1/projects/{id}/units[/preview]`). Files are read
//! within bounds (`table`): a hostile file is refused in words before the
//! reader allocates for it.

use crate::setup::SetupError;
use std::collections::BTreeSet;
use walkthrough_core::model::{Building, I18nText, Project, Room, RoomKind, Unit, UnitType};
use walkthrough_core::wire::{ColumnMapping, UnitPreview};
use walkthrough_core::*;

pub use walkthrough_core::wire::RowError;

mod table;
pub use table::{
    read_table, MAX_CELLS, MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_TEXT_BYTES, MAX_UNPACKED_BYTES,
};

/// The columns, by their header in English or Chinese.
const COLUMNS: [(&str, &[&str]); 5] = [
    ("building", &["building", "楼栋", "楼号"]),
    ("floor", &["floor", "楼层", "层"]),
    ("number", &["number", "door", "房号", "户号"]),
    ("unit_type", &["unit_type", "unit type", "type", "户型"]),
    ("unit", &["unit", "unit id", "房间编号", "单元编号"]),
];

/// The rooms a unit type created by an import starts with, to be edited
/// in the console.
fn standard_rooms() -> Vec<Room> {
    let room = |id: &str, kind: RoomKind, zh: &str, en: &str| Room {
        id: RoomId::new(id),
        kind,
        name: I18nText::new(zh, en),
        plan_area: None,
        outline: Vec::new(),
    };
    vec![
        room("entrance", RoomKind::Entrance, "玄关", "Entrance"),
        room("living", RoomKind::Living, "客餐厅", "Living / dining"),
        room("bed1", RoomKind::Bedroom, "主卧", "Master bedroom"),
        room("kitchen", RoomKind::Kitchen, "厨房", "Kitchen"),
        room("bath1", RoomKind::Bathroom, "卫生间", "Bathroom"),
    ]
}

/// What importing `table` into `project` would do, checked row by row,
/// with columns found through `mapping` (then by their usual headers).
pub fn preview_unit_list(project: &Project, table: &[Vec<String>], mapping: &ColumnMapping) -> UnitPreview {
    let headers = table.first().cloned().unwrap_or_default();
    let mut preview = UnitPreview {
        headers: headers.clone(),
        mapping: ColumnMapping { new_unit_types: mapping.new_unit_types, ..Default::default() },
        units: Vec::new(),
        new_buildings: Vec::new(),
        new_unit_types: Vec::new(),
        errors: Vec::new(),
    };
    if table.is_empty() {
        preview.errors.push(RowError { row: 1, reason: "the file is empty".into() });
        return preview;
    }
    let given = |name: &str| match name {
        "building" => &mapping.building,
        "floor" => &mapping.floor,
        "number" => &mapping.number,
        "unit_type" => &mapping.unit_type,
        _ => &mapping.unit,
    };
    let mut header_errors = Vec::new();
    let mut col = |name: &str| -> Option<usize> {
        let found = match given(name).as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => {
                let at = headers.iter().position(|x| x.trim() == h);
                if at.is_none() {
                    header_errors.push(format!("the {name} column {h:?} is not in the file"));
                }
                at
            }
            None => {
                let names = COLUMNS.iter().find(|(n, _)| *n == name).expect("known column").1;
                headers.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
            }
        };
        let header = found.map(|i| headers[i].trim().to_owned());
        match name {
            "building" => preview.mapping.building = header,
            "floor" => preview.mapping.floor = header,
            "number" => preview.mapping.number = header,
            "unit_type" => preview.mapping.unit_type = header,
            _ => preview.mapping.unit = header,
        }
        found
    };
    let (cb, cf, cn, ct, cu) = (col("building"), col("floor"), col("number"), col("unit_type"), col("unit"));
    let (Some(cb), Some(cf), Some(cn), Some(ct)) = (cb, cf, cn, ct) else {
        header_errors.push(
            "the header needs the columns building, floor, number and unit_type (or 楼栋, 楼层, 房号, 户型), \
             or a mapping saying which columns hold them"
                .into(),
        );
        preview.errors.push(RowError { row: 1, reason: header_errors.join("; ") });
        return preview;
    };
    if !header_errors.is_empty() {
        preview.errors.push(RowError { row: 1, reason: header_errors.join("; ") });
        return preview;
    }
    let template = project.templates.keys().next().cloned();
    let mut seen: BTreeSet<UnitId> = BTreeSet::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        let n = i + 1;
        let cell = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or("");
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (building, number, unit_type) = (cell(cb), cell(cn), cell(ct));
        let mut bad = |reason: String| preview.errors.push(RowError { row: n, reason });
        if building.is_empty() || number.is_empty() {
            bad("building and number are required".into());
            continue;
        }
        let Ok(floor) = cell(cf).parse::<i32>() else {
            bad(format!("floor {:?} is not a whole number", cell(cf)));
            continue;
        };
        if floor < 1 {
            bad(format!("floor {floor} must be 1 or more"));
            continue;
        }
        let type_id = UnitTypeId::new(unit_type);
        if !project.unit_types.contains_key(&type_id) {
            if unit_type.is_empty() {
                bad("the unit type is required".into());
                continue;
            }
            if !mapping.new_unit_types {
                bad(format!(
                    "unit type {unit_type:?} is not one of this project's ({})",
                    project.unit_types.keys().map(|k| k.0.as_str()).collect::<Vec<_>>().join(", ")
                ));
                continue;
            }
            if template.is_none() {
                bad(format!("unit type {unit_type:?} cannot be created: the project has no checklist template"));
                continue;
            }
        }
        let id =
            cu.map(cell).filter(|s| !s.is_empty()).map(str::to_owned).unwrap_or_else(|| format!("{building}-{number}"));
        // New codes must be safe ones (the core's rule); existing ones are kept.
        let unsafe_code = walkthrough_core::ids::check_code("the unit id", &id)
            .and_then(|()| match project.buildings.contains_key(&BuildingId::new(building)) {
                true => Ok(()),
                false => walkthrough_core::ids::check_code("the building", building),
            })
            .and_then(|()| match project.unit_types.contains_key(&type_id) {
                true => Ok(()),
                false => walkthrough_core::ids::check_code("the unit type", unit_type),
            });
        if let Err(reason) = unsafe_code {
            bad(reason);
            continue;
        }
        let id = UnitId::new(id);
        if project.units.contains_key(&id) || !seen.insert(id.clone()) {
            bad(format!("unit {id} is already in the project or appears twice"));
            continue;
        }
        let building = BuildingId::new(building);
        if !project.buildings.contains_key(&building) && !preview.new_buildings.contains(&building) {
            preview.new_buildings.push(building.clone());
        }
        if !project.unit_types.contains_key(&type_id) && !preview.new_unit_types.contains(&type_id) {
            preview.new_unit_types.push(type_id.clone());
        }
        preview.units.push(Unit { id, building, floor, number: number.to_owned(), unit_type: type_id });
    }
    preview
}

/// Add the units of `table` to `project`; every bad row is reported, and
/// nothing is added unless every row is good. Buildings (and, when the
/// mapping allows, unit types) not yet in the project are created. Returns
/// the number of units added.
pub fn apply_unit_list(
    project: &mut Project,
    table: &[Vec<String>],
    mapping: &ColumnMapping,
) -> Result<usize, Vec<RowError>> {
    let preview = preview_unit_list(project, table, mapping);
    if !preview.errors.is_empty() {
        return Err(preview.errors);
    }
    let template = project.templates.keys().next().cloned().unwrap_or_default();
    for t in preview.new_unit_types {
        project.unit_types.insert(
            t.clone(),
            UnitType {
                id: t.clone(),
                name: I18nText::new(format!("{t}户型"), format!("Type {t}")),
                area_m2: None,
                floor_plan: None,
                template: template.clone(),
                rooms: standard_rooms(),
                materials: Vec::new(),
            },
        );
    }
    let added = preview.units.len();
    for u in preview.units {
        let b = project.buildings.entry(u.building.clone()).or_insert_with(|| Building {
            id: u.building.clone(),
            name: I18nText::new(format!("{}栋", u.building), format!("Building {}", u.building)),
            floors: 0,
            engineer: None,
        });
        b.floors = b.floors.max(u.floor as u32);
        project.units.insert(u.id.clone(), u);
    }
    Ok(added)
}

/// The rows of a failed import as one message for a person.
pub fn describe_row_errors(rows: &[RowError]) -> String {
    let lines: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    format!("{} row(s) cannot be imported, so nothing was imported:\n{}", rows.len(), lines.join("\n"))
}

/// What importing a unit list into a stored project would do.
pub fn preview_units(
    store: &dyn crate::store::Store,
    project: &ProjectId,
    bytes: &[u8],
    mapping: &ColumnMapping,
) -> Result<UnitPreview, SetupError> {
    let table = read_table(bytes).map_err(SetupError::Invalid)?;
    let model = crate::setup::read_project(store, project)?;
    Ok(preview_unit_list(&model, &table, mapping))
}

/// Import a unit list into a stored project: all rows or none. The change
/// is recorded in the project document, so tablets receive it by sync, and
/// in the project's history.
pub fn import_units(
    store: &dyn crate::store::Store,
    project: &ProjectId,
    bytes: &[u8],
    mapping: &ColumnMapping,
    by: &UserId,
) -> Result<usize, SetupError> {
    let table = read_table(bytes).map_err(SetupError::Invalid)?;
    let added = crate::setup::edit_project(store, project, by, |p| {
        apply_unit_list(p, table.as_slice(), mapping).map_err(|rows| describe_row_errors(&rows))
    })?;
    crate::setup::record(store, project, by, &format!("{added} unit(s) imported from a unit list"))?;
    Ok(added)
}
