//! Fuzz target (fixed budget, part of `cargo test`): unit lists read from
//! mutated real CSV and XLSX files, byte by byte and part by part (a
//! workbook's XML mutated inside a well-formed zip, to reach the sheet
//! reader). Each case is read and previewed or refused in words, never a
//! panic (a panic fails the test and prints the case to keep).

mod common;

use common::*;
use std::io::Read;
use walkthrough_core::wire::ColumnMapping;
use walkthrough_fixtures::mutate::{Case, Mutator};
use walkthrough_server::import::{preview_unit_list, read_table};

const CASES: usize = 2_000;

fn real_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["楼栋", "楼层", "房号", "户型"],
        ["B3", "1", "0101", "A"],
        ["B3", "2", "0201", "B"],
        ["B4", "7", "0701", "C"],
    ];
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

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut part = zip.by_index(i).unwrap();
            let mut out = Vec::new();
            part.read_to_end(&mut out).unwrap();
            (part.name().unwrap().into_owned(), out)
        })
        .collect()
}

fn read_and_preview(bytes: &[u8], project: &walkthrough_core::model::Project) {
    match read_table(bytes) {
        Ok(table) => {
            let mut mapping = ColumnMapping::default();
            let _ = preview_unit_list(project, &table, &mapping);
            mapping.new_unit_types = true;
            let _ = preview_unit_list(project, &table, &mapping);
        }
        Err(e) => assert!(!e.is_empty()),
    }
}

#[test]
fn mutated_csv_unit_lists_are_read_or_refused_in_words() {
    let project = walkthrough_fixtures::demo_project();
    let seed = 21;
    let csv = "楼栋,楼层,房号,户型,单元编号\nB3,1,0101,A,\n\"B3\",2,\"02\"\"01\",B,B3-x\nB4,7,0701,C,\n".as_bytes();
    assert!(read_table(csv).is_ok());
    let mut m = Mutator::new(seed);
    for case in 0..CASES * 2 {
        let input = m.mutate(csv);
        let _case = Case { target: "csv", seed, case, input: &input };
        read_and_preview(&input, &project);
    }
}

#[test]
fn mutated_xlsx_unit_lists_are_read_or_refused_in_words() {
    let project = walkthrough_fixtures::demo_project();
    let seed = 22;
    let seeds = [real_xlsx(), workbook(Some("A1:D2"), &unit_rows(), None)];
    for book in &seeds {
        assert!(!preview_unit_list(&project, &read_table(book).unwrap(), &Default::default()).units.is_empty());
    }
    let mut m = Mutator::new(seed);
    let mut read = 0;
    for case in 0..CASES {
        let book = &seeds[case % seeds.len()];
        let input = if case % 4 == 0 {
            m.mutate(book)
        } else {
            // One XML part mutated, the zip kept whole.
            let mut parts = unzip(book);
            let xml: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].0.ends_with(".xml")).collect();
            let i = xml[m.below(xml.len())];
            parts[i].1 = m.mutate(&parts[i].1);
            let parts: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
            zip(&parts)
        };
        let _case = Case { target: "xlsx", seed, case, input: &input };
        read += usize::from(read_table(&input).is_ok());
        read_and_preview(&input, &project);
    }
    assert!(read > 0, "no mutated workbook was readable, so the sheet reader was never reached");
}
