//! Unit lists from CSV and XLSX: every bad row reported with its number and
//! reason, and all or nothing.

mod common;

use common::*;
use walkthrough_core::doc::{DocKey, ProjectDoc};
use walkthrough_core::wire::ColumnMapping;
use walkthrough_core::*;
use walkthrough_server::import::{import_units, read_table};
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
    assert!(err.contains("row 1: the building column \"楼栋号\" is not in the header (row 1)"), "{err}");
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

#[test]
fn a_workbook_made_part_by_part_imports() {
    // The hand-made workbooks below are real ones: this one imports.
    let (_d, store) = server();
    let p = ProjectId::new("hj-lanting");
    let book = workbook(Some("A1:D2"), &unit_rows(), None);
    assert_eq!(import_units(&store, &p, &book, &ColumnMapping::default(), &"cs".into()).unwrap(), 1);
    assert!(project(&store).units.contains_key(&UnitId::new("B5-0301")));
    // Shared strings too, and a CSV saved with a byte-order mark.
    let shared = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>building</t></si><si><t>B6</t></si></sst>"#;
    let data = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>"#;
    assert_eq!(read_table(&workbook(None, data, Some(shared))).unwrap(), vec![vec!["building"], vec!["B6"]]);
    let csv = "\u{feff}building,floor,number,unit_type\nB6,2,0201,A\n";
    assert_eq!(import_units(&store, &p, csv.as_bytes(), &ColumnMapping::default(), &"cs".into()).unwrap(), 1);
}

/// Each hostile file is refused with `needle` in the reason, and nothing is imported.
fn check_refused(cases: Vec<(&str, Vec<u8>, &str)>) {
    let (_d, store) = server();
    let p = ProjectId::new("hj-lanting");
    for (what, bytes, needle) in cases {
        let err = read_table(&bytes).unwrap_err();
        assert!(err.contains(needle), "{what}: expected {needle:?} in {err:?}");
        let err = import_units(&store, &p, &bytes, &ColumnMapping::default(), &"cs".into()).unwrap_err().to_string();
        assert!(err.contains(needle), "{what}: expected {needle:?} in {err:?}");
        let preview = walkthrough_server::import::preview_units(&store, &p, &bytes, &ColumnMapping::default());
        assert!(preview.unwrap_err().to_string().contains(needle), "{what}: the preview refuses too");
    }
    assert_eq!(project(&store).units.len(), 69);
}

#[test]
fn hostile_workbooks_are_refused_in_words_before_anything_is_allocated() {
    let limits = "unit lists up to 100,000 rows × 256 columns are accepted";
    let huge_sst = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="4000000000"><si><t>x</t></si></sst>"#;
    let mut bomb = workbook_parts(None, &unit_rows(), None);
    bomb.push(("xl/media/padding.bin", vec![0u8; 80 << 20]));
    let long = "长".repeat(2_000);
    let many_parts: Vec<(String, Vec<u8>)> = (0..1_001).map(|i| (format!("xl/p{i}.bin"), vec![])).collect();
    let many_parts: Vec<(&str, Vec<u8>)> = many_parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    check_refused(vec![
        (
            "far corner, declared",
            far_corner_xlsx(true),
            &*format!("the sheet declares 1,048,576 rows × 16,384 columns; {limits}"),
        ),
        (
            "far corner, a cell only",
            far_corner_xlsx(false),
            &*format!("the sheet has a cell at XFD1048576 (row 1,048,576, column 16,384); {limits}"),
        ),
        ("column 257", workbook(None, &(unit_rows() + &cell("IW3", "x")), None), "cell at IW3 (row 3, column 257)"),
        (
            "four billion shared strings",
            workbook(None, &unit_rows(), Some(huge_sst)),
            "declares 4,000,000,000 distinct texts",
        ),
        ("zip bomb", zip(&bomb), "the workbook unpacks to more than 64 MB"),
        ("too many parts", zip(&many_parts), "the workbook has 1,001 parts"),
        ("a long cell", workbook(None, &(unit_rows() + &cell("A3", &long)), None), "cell A3 holds 2,000 characters"),
        ("an overflowing reference", workbook(None, &cell("AAAAAAAAAAAA1", "x"), None), "is not a cell reference"),
        ("a row number past the grid", workbook(None, r#"<row r="99999999999"></row>"#, None), "is not a row number"),
        ("a backwards dimension", workbook(Some("B2:A1"), &unit_rows(), None), "is not a range of cells"),
        ("not a zip at all", b"PK\x03\x04 and then nothing".to_vec(), "not a readable XLSX workbook"),
    ]);
}

#[test]
fn hostile_csv_files_are_refused_in_words() {
    let mut wide = "x,".repeat(999_999);
    wide.push_str("x\n");
    let mut tall = String::from("building,floor,number,unit_type\n");
    tall.push_str(&"B9,1,0101,A\n".repeat(100_000));
    let field = format!("building,floor,number,unit_type\nB9,1,{},A\n", "9".repeat(2_000_000));
    check_refused(vec![
        (
            "a million columns",
            wide.into_bytes(),
            "row 1 has 1,000,000 columns; unit lists up to 100,000 rows × 256 columns are accepted",
        ),
        ("a huge field", field.into_bytes(), "row 2, column 3 holds 2,000,000 characters; cells up to 1,000"),
        ("100,001 rows", tall.into_bytes(), "the file has more than 100,000 rows"),
        ("17 MB", vec![b'a'; 17 << 20], "the file is 17 MB; unit lists up to 16 MB are accepted"),
    ]);
}
