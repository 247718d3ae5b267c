//! CSV (and semicolon- or tab-separated) event tables: columns found by header, line numbers
//! counted as a text editor shows them.

use super::fields::{Fields, RawFile, ReadError, record_from_fields, strip_bom};
use super::{ColumnMapping, Rejected};

pub(super) fn read_csv(bytes: &[u8], mapping: &ColumnMapping) -> Result<RawFile, ReadError> {
    let body = strip_bom(bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        ReadError::Format(format!(
            "the CSV is not UTF-8 text (byte {}); save it as UTF-8",
            e.valid_up_to()
        ))
    })?;
    let delimiter = sniff_delimiter(text);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ReadError::Format(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(ReadError::Format("the CSV has no header row".into()));
    }
    let fields = Fields::find(&headers, mapping, true).map_err(ReadError::Usage)?;
    if fields.lat.is_none() || fields.lon.is_none() {
        return Err(ReadError::Usage(format!(
            "cannot tell which columns hold latitude and longitude (the file has: {}); give --lat-column and --lon-column",
            headers.join(", ")
        )));
    }
    let mut out = RawFile::default();
    if delimiter != b',' {
        out.notes
            .push(format!("fields separated by {:?}", char::from(delimiter)));
    }
    out.notes.push(fields.describe(&headers));
    let used = fields.used();
    let mut lines = LineCounter::new(text.as_bytes());
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = lines.at(record.position().map_or(0, |p| p.byte()));
                let location = format!("line {line}");
                if record.iter().all(|v| v.trim().is_empty()) {
                    continue; // blank line
                }
                if record.len() != headers.len() {
                    out.rejected.push(Rejected {
                        location,
                        reason: format!(
                            "has {} fields; the header has {}",
                            record.len(),
                            headers.len()
                        ),
                    });
                    continue;
                }
                let values: Vec<&str> = record.iter().collect();
                out.records.push(record_from_fields(
                    location, &headers, &values, &fields, &used,
                ));
            }
            Err(e) => {
                let line = lines.at(e.position().map_or(0, |p| p.byte()));
                out.rejected.push(Rejected {
                    location: format!("line {line}"),
                    reason: format!("not readable as CSV: {e}"),
                });
                if !matches!(e.kind(), ::csv::ErrorKind::UnequalLengths { .. }) {
                    // The reader cannot resynchronise after a broken record.
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// Line numbers from byte offsets, counting every newline (the csv crate's own line count
/// skips newlines inside quoted fields). Offsets must not decrease.
struct LineCounter<'a> {
    pub(super) text: &'a [u8],
    pub(super) byte: usize,
    pub(super) line: u64,
}

impl<'a> LineCounter<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            byte: 0,
            line: 1,
        }
    }

    pub(super) fn at(&mut self, byte: u64) -> u64 {
        let mut to = (byte as usize).min(self.text.len()).max(self.byte);
        // After a CRLF the reader's offset points at the LF that ends the previous line.
        if self.text.get(to) == Some(&b'\n') {
            to += 1;
        }
        self.line += self.text[self.byte..to]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.byte = to;
        self.line
    }
}

/// Comma unless the header line clearly uses semicolons or tabs (spreadsheets in locales
/// with a decimal comma write `;`).
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.matches(c).count();
    let (commas, semis, tabs) = (count(','), count(';'), count('\t'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}
