//! Unit lists from CSV and XLSX: every bad row reported with its number and
//! reason, and all or nothing.

use walkthrough_core::doc::{DocKey, ProjectDoc};
use walkthrough_core::wire::ColumnMapping;
use walkthrough_core::*;
use walkthrough_server::import::import_units;
use walkthrough_server::store::{SqliteStore, Store};

fn server() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
    walkthrough_server::seed::import_project(&store, &walkthrough_fixtures::demo_project(), "demo").unwrap();
    (dir, store)
}

fn project(store: &SqliteStore) -> walkthrough_core::model::Project {
    let stored = store.load_doc(&DocKey::Project(ProjectId::new("hj-lanting"))).unwrap().unwrap();
    let mut doc = automerge::AutoCommit::load(&stored.snapshot).unwrap();
    for c in &stored.chunks {
        doc.load_incremental(c).unwrap();
    }
    ProjectDoc::from_automerge(doc).unwrap().read().unwrap()
}

fn xlsx(rows: &[[&str; 4]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell.parse::<f64>() {
                Ok(n) if c == 1 => sheet.write_number(r as u32, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32, c as u16, *cell).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

const BAD_CSV: &str = "building,floor,number,unit_type\nB3,1,0101,A\nB3,x,0102,A\nB3,2,0201,Z\nB1,3,0301,A\n";

#[test]
fn bad_rows_are_all_reported_and_nothing_is_imported() {
    let (_d, store) = server();
    let p = ProjectId::new("hj-lanting");
    let err =
        import_units(&store, &p, BAD_CSV.as_bytes(), &ColumnMapping::default(), &"cs".into()).unwrap_err().to_string();
    let expected = "3 row(s) cannot be imported, so nothing was imported:\n\
                    row 3: floor \"x\" is not a whole number\n\
                    row 4: unit type \"Z\" is not one of this project's (A, B, C)\n\
                    row 5: unit B1-0301 is already in the project or appears twice";
    assert_eq!(err, expected);
    assert_eq!(project(&store).units.len(), 69);
    // The same rows from a workbook.
    let book = xlsx(&[
        ["building", "floor", "number", "unit_type"],
        ["B3", "1", "0101", "A"],
        ["B3", "x", "0102", "A"],
        ["B3", "2", "0201", "Z"],
        ["B1", "3", "0301", "A"],
    ]);
    assert_eq!(
        import_units(&store, &p, &book, &ColumnMapping::default(), &"cs".into()).unwrap_err().to_string(),
        expected
    );
    let err =
        import_units(&store, &p, b"name,size\nx,1\n", &ColumnMapping::default(), &"cs".into()).unwrap_err().to_string();
    assert!(err.contains("the header needs the columns building, floor, number and unit_type"), "{err}");
    assert_eq!(project(&store).units.len(), 69);
}

#[test]
fn good_lists_in_csv_and_xlsx_add_units_and_buildings() {
    let (_d, store) = server();
    let p = ProjectId::new("hj-lanting");
    let csv = "楼栋,楼层,房号,户型\nB3,1,0101,A\nB3,2,0201,B\n";
    assert_eq!(import_units(&store, &p, csv.as_bytes(), &ColumnMapping::default(), &"cs".into()).unwrap(), 2);
    let book = xlsx(&[["building", "floor", "number", "unit_type"], ["B4", "7", "0701", "C"]]);
    assert_eq!(import_units(&store, &p, &book, &ColumnMapping::default(), &"cs".into()).unwrap(), 1);
    let model = project(&store);
    assert_eq!(model.units.len(), 72);
    assert_eq!(model.buildings[&BuildingId::new("B3")].floors, 2);
    let u = &model.units[&UnitId::new("B4-0701")];
    assert_eq!((u.floor, u.unit_type.as_str()), (7, "C"));
    model.validate().unwrap();
}

#[test]
fn a_column_mapping_reads_lists_with_other_headers_and_can_create_unit_types() {
    let (_d, store) = server();
    let p = ProjectId::new("hj-lanting");
    let csv = "栋号,层数,房间号,户型编码\nB5,3,0301,A\nB5,3,0302,D\n";
    let mut mapping = ColumnMapping::default();
    // Without a mapping the headers are not recognised.
    let err = import_units(&store, &p, csv.as_bytes(), &mapping, &"cs".into()).unwrap_err().to_string();
    assert!(err.contains("row 1: the header needs the columns"), "{err}");
    // A mapping naming a column the file does not have.
    mapping.building = Some("楼栋号".into());
    let err = import_units(&store, &p, csv.as_bytes(), &mapping, &"cs".into()).unwrap_err().to_string();
    assert!(err.contains("row 1: the building column \"楼栋号\" is not in the file"), "{err}");
    mapping = ColumnMapping {
        building: Some("栋号".into()),
        floor: Some("层数".into()),
        number: Some("房间号".into()),
        unit_type: Some("户型编码".into()),
        ..Default::default()
    };
    let preview = walkthrough_server::import::preview_units(&store, &p, csv.as_bytes(), &mapping).unwrap();
    assert_eq!(preview.errors.len(), 1);
    assert_eq!(preview.errors[0].to_string(), "row 3: unit type \"D\" is not one of this project's (A, B, C)");
    assert_eq!(preview.units.len(), 1, "the good row is previewed");
    let err = import_units(&store, &p, csv.as_bytes(), &mapping, &"cs".into()).unwrap_err().to_string();
    assert!(err.starts_with("1 row(s) cannot be imported, so nothing was imported"), "{err}");
    assert_eq!(project(&store).units.len(), 69);

    mapping.new_unit_types = true;
    let preview = walkthrough_server::import::preview_units(&store, &p, csv.as_bytes(), &mapping).unwrap();
    assert!(preview.errors.is_empty(), "{:?}", preview.errors);
    assert_eq!(preview.new_buildings, vec![BuildingId::new("B5")]);
    assert_eq!(preview.new_unit_types, vec![UnitTypeId::new("D")]);
    assert_eq!(project(&store).units.len(), 69, "a preview stores nothing");
    assert_eq!(import_units(&store, &p, csv.as_bytes(), &mapping, &"cs".into()).unwrap(), 2);
    let model = project(&store);
    let d = &model.unit_types[&UnitTypeId::new("D")];
    assert_eq!(d.template.as_str(), "std-2026");
    assert!(!model.checklist(&UnitId::new("B5-0302")).is_empty(), "a created unit type has rooms to inspect");
    let history = walkthrough_server::setup::history(&store, &p).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].by.as_str(), history[0].what.as_str()), ("cs", "2 unit(s) imported from a unit list"));
}
