//! Unit lists as developers have them (CSV or XLSX: one row per unit with
//! building, floor, door number and unit type), checked row by row and
//! applied all or nothing. Shared by the `import-units` command and the
//! `POST /api/v1/projects/{id}/units` endpoint (and, later, the console).

use std::collections::BTreeMap;
use walkthrough_core::model::{Building, I18nText, Project, Unit};
use walkthrough_core::*;

/// One problem with one row (1-based, counting the header as row 1).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.row, self.reason)
    }
}

/// The columns, by their header in English or Chinese.
const COLUMNS: [(&str, &[&str]); 5] = [
    ("building", &["building", "楼栋", "楼号"]),
    ("floor", &["floor", "楼层", "层"]),
    ("number", &["number", "door", "房号", "户号"]),
    ("unit_type", &["unit_type", "unit type", "type", "户型"]),
    ("unit", &["unit", "unit id", "房间编号", "单元编号"]),
];

/// Read a CSV or XLSX file into rows of cells (the format from its bytes).
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
            .map_err(|e| format!("the file is not a readable XLSX workbook ({e})"))?;
        let sheet = book.sheet_names().first().cloned().ok_or("the workbook has no sheet")?;
        let range = book.worksheet_range(&sheet).map_err(|e| format!("cannot read sheet {sheet:?} ({e})"))?;
        Ok(range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        calamine::Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect())
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| "the file is neither XLSX nor UTF-8 CSV".to_owned())?;
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        reader
            .records()
            .map(|r| {
                r.map(|r| r.iter().map(|c| c.trim().to_owned()).collect())
                    .map_err(|e| format!("the CSV is malformed: {e}"))
            })
            .collect()
    }
}

/// Add the units of `table` to `project`; every bad row is reported, and
/// nothing is added unless every row is good. Buildings not yet in the
/// project are created. Returns the number of units added.
pub fn apply_unit_list(project: &mut Project, table: &[Vec<String>]) -> Result<usize, Vec<RowError>> {
    let Some(header) = table.first() else {
        return Err(vec![RowError { row: 1, reason: "the file is empty".into() }]);
    };
    let col = |name: &str| {
        let names = COLUMNS.iter().find(|(n, _)| *n == name).expect("known column").1;
        header.iter().position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let (Some(cb), Some(cf), Some(cn), Some(ct)) = (col("building"), col("floor"), col("number"), col("unit_type"))
    else {
        return Err(vec![RowError {
            row: 1,
            reason: "the header needs the columns building, floor, number and unit_type (or 楼栋, 楼层, 房号, 户型)"
                .into(),
        }]);
    };
    let cu = col("unit");
    let mut errors = Vec::new();
    let mut new_units: BTreeMap<UnitId, Unit> = BTreeMap::new();
    for (i, row) in table.iter().enumerate().skip(1) {
        let n = i + 1;
        let cell = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or("");
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (building, number, unit_type) = (cell(cb), cell(cn), cell(ct));
        let mut bad = |reason: String| errors.push(RowError { row: n, reason });
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
        if !project.unit_types.contains_key(&UnitTypeId::new(unit_type)) {
            bad(format!(
                "unit type {unit_type:?} is not one of this project's ({})",
                project.unit_types.keys().map(|k| k.0.as_str()).collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let id =
            cu.map(cell).filter(|s| !s.is_empty()).map(str::to_owned).unwrap_or_else(|| format!("{building}-{number}"));
        if id.contains('/') || building.contains('/') {
            bad(format!("{id:?}: ids cannot contain '/'"));
            continue;
        }
        let id = UnitId::new(id);
        if project.units.contains_key(&id) || new_units.contains_key(&id) {
            bad(format!("unit {id} is already in the project or appears twice"));
            continue;
        }
        new_units.insert(
            id.clone(),
            Unit {
                id,
                building: BuildingId::new(building),
                floor,
                number: number.to_owned(),
                unit_type: UnitTypeId::new(unit_type),
            },
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let added = new_units.len();
    for u in new_units.into_values() {
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

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Invalid(String),
    #[error("project {0} does not exist on this server")]
    NoProject(ProjectId),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Import a unit list into a stored project: all rows or none. The change
/// is recorded in the project document, so tablets receive it by sync.
pub fn import_units(
    store: &dyn crate::store::Store,
    project: &ProjectId,
    bytes: &[u8],
    by: &UserId,
) -> Result<usize, ImportError> {
    use walkthrough_core::doc::{DocKey, ProjectDoc};
    let table = read_table(bytes).map_err(ImportError::Invalid)?;
    let key = DocKey::Project(project.clone());
    let stored =
        store.load_doc(&key).map_err(anyhow::Error::from)?.ok_or_else(|| ImportError::NoProject(project.clone()))?;
    let mut doc = ProjectDoc::from_automerge(crate::sync::load(stored)?).map_err(anyhow::Error::from)?;
    let mut check = doc.read().map_err(anyhow::Error::from)?;
    let added = apply_unit_list(&mut check, table.as_slice()).map_err(|rows| {
        let lines: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        ImportError::Invalid(format!(
            "{} row(s) cannot be imported, so nothing was imported:\n{}",
            rows.len(),
            lines.join("\n")
        ))
    })?;
    let before = doc.heads();
    doc.edit(by, chrono::Utc::now(), |p| {
        // Checked above on the same model: this cannot fail.
        let _ = apply_unit_list(p, table.as_slice());
    })
    .map_err(|e| ImportError::Invalid(e.to_string()))?;
    let mut am = doc.into_automerge();
    let chunk = am.save_after(&before);
    let heads = am.get_heads().iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",");
    store
        .write_doc(&crate::store::DocWrite { key: &key, bytes: &chunk, is_new: false, heads: &heads, rows: None })
        .map_err(anyhow::Error::from)?;
    Ok(added)
}
