//! Reading a unit list (CSV or XLSX) into rows of cells, bounded before
//! anything is allocated: a hostile file (a sheet declaring a cell at its
//! far corner, a shared-string table claiming billions of entries, a zip
//! bomb, a CSV of a million columns) is refused in words and never makes
//! the reader allocate more than a few times the limits below.
//!
//! An XLSX workbook is first walked with the zip reader itself: every part
//! is decompressed into nothing with a running total, and every XML part is
//! scanned for the numbers the spreadsheet reader would trust (the shared
//! string count it reserves room for, cell and dimension references it does
//! arithmetic on). Only then does calamine read it, cell by cell through its
//! streaming reader: no `Range` (a rectangle over the declared or used area)
//! is ever built.

use std::io::{BufReader, Cursor, Read};

/// The largest unit list file accepted.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The most rows and columns of a unit list (counted from A1).
pub const MAX_ROWS: u64 = 100_000;
pub const MAX_COLUMNS: u64 = 256;
/// The longest cell, in characters.
pub const MAX_CELL_CHARS: usize = 1_000;
/// The most non-empty cells, and their text altogether.
pub const MAX_CELLS: usize = 1_000_000;
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// What an XLSX workbook may unpack to, and how many parts it may have.
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_PARTS: usize = 1_000;
/// The most shared strings a workbook may declare.
pub const MAX_SHARED_STRINGS: u64 = MAX_CELLS as u64;

/// Excel's own grid: nothing valid lies beyond it.
const SHEET_ROWS: u64 = 1_048_576;
const SHEET_COLUMNS: u64 = 16_384;

/// Read a CSV or XLSX file into rows of cells (the format from its bytes).
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {}; unit lists up to {} are accepted",
            megabytes(bytes.len() as u64),
            megabytes(MAX_FILE_BYTES as u64)
        ));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

pub use walkthrough_client::photos::thousands;

fn megabytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{} MB", thousands(n.div_ceil(1024 * 1024)))
    } else {
        format!("{} KB", thousands(n.div_ceil(1024)))
    }
}

fn limits() -> String {
    format!("unit lists up to {} rows × {} columns are accepted", thousands(MAX_ROWS), thousands(MAX_COLUMNS))
}

fn cell_too_long(place: &str, chars: usize) -> String {
    format!(
        "{place} holds {} characters; cells up to {} characters are accepted",
        thousands(chars as u64),
        thousands(MAX_CELL_CHARS as u64)
    )
}

/// The characters of `s`, counted only when its bytes could exceed the limit.
fn too_long(s: &str) -> Option<usize> {
    (s.len() > MAX_CELL_CHARS).then(|| s.chars().count()).filter(|&n| n > MAX_CELL_CHARS)
}

/// The text of a CSV file: UTF-8 (with or without a byte-order mark) when
/// its bytes are strictly UTF-8, else GB18030 (which GBK and GB2312 are
/// subsets of), as Chinese Excel saves "CSV (逗号分隔)". Other files are
/// refused in words.
fn csv_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(std::borrow::Cow::Borrowed)
            .map_err(|e| format!("the file starts as UTF-8 text but byte {} is not UTF-8", e.valid_up_to() + 4));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err("the file is UTF-16 text (Excel's \"Unicode text\"); save it as CSV UTF-8, CSV or XLSX".into());
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err("the file is an old Excel workbook (.xls); save it as XLSX or CSV".into());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or_else(|| "the file is neither an XLSX workbook nor CSV text in UTF-8 or GB18030/GBK".to_owned())
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let text = csv_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    let mut text_bytes = 0usize;
    // The csv reader skips blank lines, which a spreadsheet shows as rows:
    // they are put back, so that row numbers are the ones a person sees. A
    // record's line is counted here from where its text starts (the
    // reader's position may be before the blank lines it skipped).
    let (bytes, mut counted, mut newlines_before) = (text.as_bytes(), 0usize, 0u64);
    let mut next_line = 1u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(format!("the CSV is malformed: {e}")),
        }
        let start = record.position().map_or(counted, |p| p.byte() as usize).clamp(counted, bytes.len());
        let content = start + bytes[start..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        newlines_before += bytes[counted..content].iter().filter(|&&b| b == b'\n').count() as u64;
        counted = content;
        let line = newlines_before + 1;
        let blank = line.saturating_sub(next_line);
        if rows.len() as u64 + blank + 1 > MAX_ROWS {
            return Err(format!("the file has more than {} rows; {}", thousands(MAX_ROWS), limits()));
        }
        rows.extend(std::iter::repeat_n(Vec::new(), blank as usize));
        let n = rows.len() as u64 + 1;
        if record.len() as u64 > MAX_COLUMNS {
            return Err(format!("row {} has {} columns; {}", thousands(n), thousands(record.len() as u64), limits()));
        }
        let mut row = Vec::with_capacity(record.len());
        let mut newlines = 0u64;
        for (c, cell) in record.iter().enumerate() {
            if let Some(chars) = too_long(cell) {
                return Err(cell_too_long(&format!("row {}, column {}", thousands(n), c + 1), chars));
            }
            text_bytes += cell.len();
            newlines += cell.bytes().filter(|&b| b == b'\n').count() as u64;
            row.push(cell.trim().to_owned());
        }
        if text_bytes > MAX_TEXT_BYTES {
            return Err(format!("the file holds more than {} of text", megabytes(MAX_TEXT_BYTES as u64)));
        }
        next_line = line + newlines + 1;
        rows.push(row);
    }
    Ok(rows)
}

/// `XFD1048576` → (row, column), both 1-based; `None` unless it is a cell of
/// Excel's grid (letters then digits; the letters may be missing when
/// `column_optional`, as in a row's number).
fn cell_ref(text: &str, column_optional: bool) -> Option<(u64, Option<u64>)> {
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = text.split_at(letters);
    if row.is_empty() || row.len() > 7 || !row.bytes().all(|b| b.is_ascii_digit()) || letters > 3 {
        return None;
    }
    let row: u64 = row.parse().ok()?;
    let col = col.bytes().fold(0u64, |n, b| n * 26 + u64::from(b.to_ascii_uppercase() - b'A') + 1);
    if row == 0 || row > SHEET_ROWS || col > SHEET_COLUMNS || (col == 0 && !column_optional) {
        return None;
    }
    Some((row, (col > 0).then_some(col)))
}

fn damaged(part: &str, what: impl std::fmt::Display) -> String {
    format!("the file is not a readable XLSX workbook (part {part}: {what})")
}

/// Walk every part of the workbook before the spreadsheet reader sees it.
fn check_package(bytes: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a readable XLSX workbook ({e})"))?;
    if zip.len() > MAX_PARTS {
        return Err(format!(
            "the workbook has {} parts; unit lists of up to {} parts are accepted",
            thousands(zip.len() as u64),
            thousands(MAX_PARTS as u64)
        ));
    }
    let too_big = || {
        format!(
            "the workbook unpacks to more than {}; unit lists up to {} unpacked are accepted",
            megabytes(MAX_UNPACKED_BYTES),
            megabytes(MAX_UNPACKED_BYTES)
        )
    };
    let mut unpacked = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|e| format!("the file is not a readable XLSX workbook ({e})"))?;
        let name = part.name().map_err(|e| format!("the file is not a readable XLSX workbook ({e})"))?.into_owned();
        if part.size() > MAX_UNPACKED_BYTES - unpacked {
            return Err(too_big());
        }
        // The declared size may lie: count what actually comes out.
        let mut limited = part.take(MAX_UNPACKED_BYTES - unpacked + 1);
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xml") || lower.ends_with(".rels") {
            scan_xml(&mut limited, &name)?;
        }
        std::io::copy(&mut limited, &mut std::io::sink()).map_err(|e| damaged(&name, e))?;
        let left = limited.limit();
        unpacked = MAX_UNPACKED_BYTES + 1 - left;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(too_big());
        }
    }
    Ok(())
}

/// The numbers in an XML part that calamine trusts: the shared string count
/// (it reserves room for that many), and cell, row and dimension references
/// (it does unchecked arithmetic on them).
fn scan_xml(part: &mut impl Read, name: &str) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let e = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => e,
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => continue,
            Err(e) => return Err(damaged(name, e)),
        };
        let element = e.local_name();
        let element = element.as_ref();
        let wanted = match element {
            "sst" => "uniqueCount",
            "c" | "row" => "r",
            "dimension" => "ref",
            _ => continue,
        };
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|e| damaged(name, e))?;
            if a.key.local_name().as_ref() != wanted {
                continue;
            }
            let value: &str = &a.value;
            match element {
                "sst" => {
                    // calamine reserves this many strings when it parses as a number.
                    if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
                        let digits = value.trim_start_matches('0');
                        let n: u64 = if digits.len() > 12 { u64::MAX } else { digits.parse().unwrap_or(0) };
                        if n > MAX_SHARED_STRINGS {
                            return Err(format!(
                                "the workbook declares {} distinct texts; unit lists of up to {} are accepted",
                                thousands(n),
                                thousands(MAX_SHARED_STRINGS)
                            ));
                        }
                    }
                }
                "row" => {
                    cell_ref(value, true).ok_or_else(|| damaged(name, format!("{value:?} is not a row number")))?;
                }
                "c" => {
                    cell_ref(value, false)
                        .ok_or_else(|| damaged(name, format!("{value:?} is not a cell reference")))?;
                }
                _ => {
                    let corners: Vec<&str> = value.split(':').collect();
                    let bad = || damaged(name, format!("{value:?} is not a range of cells"));
                    let refs = corners
                        .iter()
                        .map(|c| cell_ref(c, false).map(|(r, c)| (r, c.unwrap_or(0))))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad)?;
                    match refs.as_slice() {
                        [_] => {}
                        [a, b] if a.0 <= b.0 && a.1 <= b.1 => {}
                        _ => return Err(bad()),
                    }
                }
            }
        }
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    use calamine::{Data, DataRef, Reader};
    check_package(bytes)?;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| format!("the file is not a readable XLSX workbook ({e})"))?;
    let sheet = book.sheet_names().first().cloned().ok_or("the workbook has no sheet")?;
    let unreadable = |e: calamine::XlsxError| format!("cannot read sheet {sheet:?} ({e})");
    let mut reader = book.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let declared = reader.dimensions();
    let (rows, columns) = (u64::from(declared.end.0) + 1, u64::from(declared.end.1) + 1);
    if rows > MAX_ROWS || columns > MAX_COLUMNS {
        return Err(format!(
            "the sheet declares {} rows × {} columns; {}",
            thousands(rows),
            thousands(columns),
            limits()
        ));
    }
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    let mut text_bytes = 0usize;
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        let place = || column_name(col) + &(u64::from(row) + 1).to_string();
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::SharedString(s) => (*s).to_owned(),
            DataRef::String(s) => s.clone(),
            other => match Data::from(other.clone()) {
                Data::Float(f) if f.fract() == 0.0 => format!("{}", f as i64),
                other => other.to_string(),
            },
        };
        if u64::from(row) >= MAX_ROWS || u64::from(col) >= MAX_COLUMNS {
            return Err(format!(
                "the sheet has a cell at {} (row {}, column {}); {}",
                place(),
                thousands(u64::from(row) + 1),
                thousands(u64::from(col) + 1),
                limits()
            ));
        }
        if let Some(chars) = too_long(&text) {
            return Err(cell_too_long(&format!("cell {}", place()), chars));
        }
        text_bytes += text.len();
        if cells.len() >= MAX_CELLS || text_bytes > MAX_TEXT_BYTES {
            return Err(format!(
                "the sheet holds more than {} cells or {} of text; unit lists up to that are accepted",
                thousands(MAX_CELLS as u64),
                megabytes(MAX_TEXT_BYTES as u64)
            ));
        }
        cells.push((row, col, text));
    }
    // The table starts at A1, so that a row's index is the row number a
    // person sees in the spreadsheet (title, note and blank rows above the
    // header included); merged cells hold their text in the first cell only.
    let Some(bottom) = cells.iter().map(|c| c.0).max() else {
        return Ok(Vec::new());
    };
    let mut table = vec![Vec::new(); bottom as usize + 1];
    for (row, col, text) in cells {
        let row = &mut table[row as usize];
        let col = col as usize;
        if row.len() <= col {
            row.resize(col + 1, String::new());
        }
        row[col] = text;
    }
    Ok(table)
}

/// 0 → `A`, 16383 → `XFD`.
fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        out.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_and_numbers() {
        assert_eq!(cell_ref("A1", false), Some((1, Some(1))));
        assert_eq!(cell_ref("XFD1048576", false), Some((1_048_576, Some(16_384))));
        assert_eq!(cell_ref("xfe1", false), None);
        assert_eq!(cell_ref("A1048577", false), None);
        assert_eq!(cell_ref("AAAAAAAAAAAAAAA1", false), None);
        assert_eq!(cell_ref("A99999999999999999999", false), None);
        assert_eq!(cell_ref("7", true), Some((7, None)));
        assert_eq!(cell_ref("7", false), None);
        assert_eq!(cell_ref("A0", false), None);
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
        assert_eq!(thousands(1_048_576), "1,048,576");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(100_000), "100,000");
    }
}
