//! Unit lists as developers and sales systems have them (CSV in UTF-8 or
//! GB18030/GBK, or XLSX: one row per unit with building, optionally
//! entrance, floor, door number and unit type, under title and note rows),
//! checked row by row and applied all or nothing. Shared by the `import-units` command and the
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

/// A column of a unit list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Building,
    Entrance,
    Floor,
    Number,
    UnitType,
    Unit,
}

use Column::*;

impl Column {
    const ALL: [Column; 6] = [Building, Entrance, Floor, Number, UnitType, Unit];
    /// The columns every unit list needs.
    const REQUIRED: [Column; 4] = [Building, Floor, Number, UnitType];

    fn name(self) -> &'static str {
        match self {
            Building => "building",
            Entrance => "entrance",
            Floor => "floor",
            Number => "number",
            UnitType => "unit_type",
            Unit => "unit",
        }
    }

    /// The headers it is known by in unit lists from Excel and sales
    /// systems, compared by `header_key` (层数, "number of storeys", is not
    /// a floor; 单元编号 is a unit's id, as it was before entrances).
    fn known_headers(self) -> &'static [&'static str] {
        match self {
            Building => &[
                "building",
                "bldg",
                "block",
                "tower",
                "楼栋",
                "楼号",
                "栋号",
                "楼栋号",
                "栋",
                "幢号",
                "楼宇",
                "楼栋名称",
            ],
            Entrance => &["entrance", "staircase", "单元", "单元号", "单元名称"],
            Floor => &["floor", "level", "storey", "楼层", "层", "所在楼层", "楼层号", "层号"],
            Number => &[
                "number",
                "door",
                "doorno",
                "doornumber",
                "room",
                "roomno",
                "roomnumber",
                "房号",
                "户号",
                "房间号",
                "室号",
                "门牌号",
            ],
            UnitType => &["unittype", "type", "layout", "户型", "户型编码", "户型名称", "户型编号", "户型代码"],
            Unit => &["unit", "unitid", "房间编号", "单元编号", "房屋编码", "房源编号"],
        }
    }

    fn given(self, m: &ColumnMapping) -> Option<&str> {
        let given = match self {
            Building => &m.building,
            Entrance => &m.entrance,
            Floor => &m.floor,
            Number => &m.number,
            UnitType => &m.unit_type,
            Unit => &m.unit,
        };
        given.as_deref().map(str::trim).filter(|h| !h.is_empty())
    }

    fn set(self, m: &mut ColumnMapping, header: Option<String>) {
        *match self {
            Building => &mut m.building,
            Entrance => &mut m.entrance,
            Floor => &mut m.floor,
            Number => &mut m.number,
            UnitType => &mut m.unit_type,
            Unit => &mut m.unit,
        } = header;
    }

    /// Where this column is in `row`: by the header the mapping gives,
    /// else by a known header.
    fn find(self, row: &[String], mapping: &ColumnMapping) -> Option<usize> {
        match self.given(mapping) {
            Some(h) => row.iter().position(|x| x.trim() == h),
            None => row.iter().position(|x| self.known_headers().contains(&header_key(x).as_str())),
        }
    }
}

/// A header as compared with the known ones: without spaces (full-width
/// too), '_', '-' or '.', a trailing '*' or ':' marking a required column, and
/// in lower case.
fn header_key(header: &str) -> String {
    let key: String = header
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    key.trim_end_matches(['*', '＊', ':', '：']).to_owned()
}

/// How far down a header row is looked for (title and note rows).
const HEADER_SEARCH_ROWS: usize = 50;
/// How much of the first rows a preview shows to choose the header from
/// (every row the header may be found in).
const FIRST_ROWS: usize = HEADER_SEARCH_ROWS;
const FIRST_ROW_CELLS: usize = 10;
const FIRST_ROW_CELL_CHARS: usize = 40;

/// The header row's index in `table`: the first row naming every required
/// column, else the one naming most columns, else the first row with
/// anything in it.
fn find_header_row(table: &[Vec<String>], mapping: &ColumnMapping) -> usize {
    let found = |row: &[String], columns: &[Column]| columns.iter().filter(|c| c.find(row, mapping).is_some()).count();
    let rows = table.iter().take(HEADER_SEARCH_ROWS).enumerate();
    if let Some((i, _)) = rows.clone().find(|(_, row)| found(row, &Column::REQUIRED) == Column::REQUIRED.len()) {
        return i;
    }
    let best = rows.clone().map(|(i, row)| (found(row, &Column::ALL), i)).filter(|&(n, _)| n > 0);
    if let Some((_, i)) = best.max_by_key(|&(n, i)| (n, std::cmp::Reverse(i))) {
        return i;
    }
    table.iter().position(|row| row.iter().any(|c| !c.trim().is_empty())).unwrap_or(0)
}

/// A cell's code once a suffix people write after it is taken off
/// ("3号楼", "3栋" → "3"; "2单元" → "2"), when what is left is a code.
fn without_suffix<'a>(cell: &'a str, suffixes: &[&str]) -> &'a str {
    for suffix in suffixes {
        if let Some(code) = cell.strip_suffix(suffix).map(str::trim) {
            if walkthrough_core::ids::check_code("", code).is_ok() {
                return code;
            }
        }
    }
    cell
}

const BUILDING_SUFFIXES: [&str; 6] = ["号楼", "栋", "幢", "座", "号", "楼"];
const ENTRANCE_SUFFIXES: [&str; 2] = ["单元", "门"];

/// A floor as written: `7`, `7层`, `7F`, `第7层`.
fn parse_floor(cell: &str) -> Option<i32> {
    let cell = cell.strip_prefix('第').unwrap_or(cell);
    let cell = cell.trim_end_matches(['层', '楼', 'F', 'f']).trim();
    cell.parse().ok()
}

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
/// with the header row and columns found through `mapping` (then by their
/// usual headers). `table`'s rows are the spreadsheet's from row 1, and
/// every error names the row as the spreadsheet numbers it.
pub fn preview_unit_list(project: &Project, table: &[Vec<String>], mapping: &ColumnMapping) -> UnitPreview {
    let first_rows = table
        .iter()
        .take(FIRST_ROWS)
        .map(|row| {
            let cells = row.iter().take(FIRST_ROW_CELLS);
            cells.map(|c| c.chars().take(FIRST_ROW_CELL_CHARS).collect()).collect()
        })
        .collect();
    let mut preview = UnitPreview {
        header_row: 1,
        headers: Vec::new(),
        first_rows,
        mapping: ColumnMapping { new_unit_types: mapping.new_unit_types, ..Default::default() },
        units: Vec::new(),
        new_buildings: Vec::new(),
        new_unit_types: Vec::new(),
        errors: Vec::new(),
    };
    if table.iter().all(|row| row.iter().all(|c| c.trim().is_empty())) {
        preview.errors.push(RowError { row: 1, reason: "the file is empty".into() });
        return preview;
    }
    let header_at = match mapping.header_row {
        Some(0) => {
            preview.errors.push(RowError { row: 1, reason: "the header row is numbered from 1".into() });
            return preview;
        }
        Some(n) if n > table.len() => {
            preview.errors.push(RowError {
                row: n,
                reason: format!("the header row {n} is past the end of the file ({} rows)", table.len()),
            });
            return preview;
        }
        Some(n) => n - 1,
        None => find_header_row(table, mapping),
    };
    let header_no = header_at + 1;
    let headers = &table[header_at];
    preview.header_row = header_no;
    preview.headers = headers.clone();
    preview.mapping.header_row = Some(header_no);
    let mut header_errors = Vec::new();
    let mut at = [None; Column::ALL.len()];
    for (slot, column) in at.iter_mut().zip(Column::ALL) {
        *slot = column.find(headers, mapping);
        if let (None, Some(h)) = (*slot, column.given(mapping)) {
            header_errors.push(format!("the {} column {h:?} is not in the header (row {header_no})", column.name()));
        }
        column.set(&mut preview.mapping, slot.map(|i| headers[i].trim().to_owned()));
    }
    let [Some(cb), ce, Some(cf), Some(cn), Some(ct), cu] = at else {
        let missing: Vec<&str> = Column::REQUIRED
            .iter()
            .filter(|c| at[Column::ALL.iter().position(|a| a == *c).expect("a column")].is_none())
            .map(|c| c.name())
            .collect();
        header_errors.push(format!(
            "the header needs the columns building, floor, number and unit_type (or 楼栋, 楼层, 房号, 户型), \
             or a mapping saying which columns hold them; not found: {}",
            missing.join(", ")
        ));
        preview.errors.push(RowError { row: header_no, reason: header_errors.join("; ") });
        return preview;
    };
    if !header_errors.is_empty() {
        preview.errors.push(RowError { row: header_no, reason: header_errors.join("; ") });
        return preview;
    }
    let template = project.templates.keys().next().cloned();
    let mut seen: BTreeSet<UnitId> = BTreeSet::new();
    for (i, row) in table.iter().enumerate().skip(header_at + 1) {
        let n = i + 1;
        let cell = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or("");
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut bad = |reason: String| preview.errors.push(RowError { row: n, reason });
        let (building, number, unit_type) = (cell(cb), cell(cn), cell(ct));
        if building.is_empty() || number.is_empty() {
            bad("building and number are required".into());
            continue;
        }
        // A building or unit type is the project's by its code or its name
        // in either language; else a new code, as written or without the
        // suffix people add ("3号楼").
        let building = project
            .buildings
            .values()
            .find(|b| b.id.as_str() == building || b.name.zh == building || b.name.en == building)
            .map_or_else(|| without_suffix(building, &BUILDING_SUFFIXES), |b| b.id.as_str());
        let entrance = ce.map(cell).map(|e| without_suffix(e, &ENTRANCE_SUFFIXES)).filter(|e| !e.is_empty());
        let number = number.strip_suffix('室').map(str::trim).filter(|n| !n.is_empty()).unwrap_or(number);
        let Some(floor) = parse_floor(cell(cf)) else {
            bad(format!("floor {:?} is not a whole number", cell(cf)));
            continue;
        };
        if floor < 1 {
            bad(format!("floor {floor} must be 1 or more"));
            continue;
        }
        let known_type = project
            .unit_types
            .values()
            .find(|t| t.id.as_str() == unit_type || t.name.zh == unit_type || t.name.en == unit_type);
        let type_id = known_type.map_or_else(|| UnitTypeId::new(unit_type), |t| t.id.clone());
        if known_type.is_none() {
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
        // With an entrance (单元), the door number as people say it is
        // "<entrance>-<number>": the same door number recurs on each
        // entrance of a building.
        let number = match entrance {
            Some(e) => format!("{e}-{number}"),
            None => number.to_owned(),
        };
        let id = cu.map(cell).filter(|s| !s.is_empty()).map_or_else(|| format!("{building}-{number}"), str::to_owned);
        // New codes must be safe ones (the core's rule); existing ones are kept.
        let unsafe_code = entrance
            .map_or(Ok(()), |e| walkthrough_core::ids::check_code("the entrance", e))
            .and_then(|()| walkthrough_core::ids::check_code("the unit id", &id))
            .and_then(|()| match project.buildings.contains_key(&BuildingId::new(building)) {
                true => Ok(()),
                false => walkthrough_core::ids::check_code("the building", building),
            })
            .and_then(|()| match known_type {
                Some(_) => Ok(()),
                None => walkthrough_core::ids::check_code("the unit type", unit_type),
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
        if known_type.is_none() && !preview.new_unit_types.contains(&type_id) {
            preview.new_unit_types.push(type_id.clone());
        }
        preview.units.push(Unit { id, building, floor, number, unit_type: type_id });
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
    crate::setup::record_act(
        store,
        project,
        by,
        "setup",
        &format!("{added} unit(s) imported from a unit list"),
        serde_json::json!({ "op": "import_units", "count": added }),
    )?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_floors_and_codes_as_people_write_them() {
        for (header, key) in
            [("Room No.", "roomno"), (" 房 号* ", "房号"), ("Unit_Type：", "unittype"), ("楼栋　", "楼栋")]
        {
            assert_eq!(header_key(header), key, "{header:?}");
        }
        for (cell, floor) in
            [("7", Some(7)), ("7层", Some(7)), ("12F", Some(12)), ("第3层", Some(3)), ("一", None), ("", None)]
        {
            assert_eq!(parse_floor(cell), floor, "{cell:?}");
        }
        for (cell, code) in
            [("3号楼", "3"), ("3栋", "3"), ("B3", "B3"), ("A座", "A"), ("蓝亭", "蓝亭"), ("号楼", "号楼")]
        {
            assert_eq!(without_suffix(cell, &BUILDING_SUFFIXES), code, "{cell:?}");
        }
        assert_eq!(without_suffix("2单元", &ENTRANCE_SUFFIXES), "2");
    }

    #[test]
    fn the_header_row_is_the_first_naming_every_column_else_the_one_naming_most() {
        let rows = |text: &str| -> Vec<Vec<String>> {
            text.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect()
        };
        let none = ColumnMapping::default();
        assert_eq!(find_header_row(&rows("标题,,\n,,\n楼栋,楼层,房号,户型\nB1,1,0101,A"), &none), 2);
        assert_eq!(find_header_row(&rows("标题\n楼栋,层数,房号\nB1,1,0101"), &none), 1, "two of four named");
        assert_eq!(find_header_row(&rows(",,\n标题,,\nx,y"), &none), 1, "nothing named: the first non-empty row");
        let given = ColumnMapping { floor: Some("层数".into()), unit_type: Some("型".into()), ..Default::default() };
        assert_eq!(
            find_header_row(&rows("楼栋,楼层,房号,户型\n楼栋,层数,房号,型"), &given),
            1,
            "the mapping's headers"
        );
    }
}
