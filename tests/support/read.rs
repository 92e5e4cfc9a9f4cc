//! Reading a stream held in memory to its end, each way a reader can yield
//! its pages: the records, or the first error as text (so that the ways can
//! be compared, errors included).

use std::io::Cursor;

use vmstate::stream::{ReadAt, Record, StreamReader};

/// Every record of `reader`, or its first error as text.
fn all<R: std::io::Read + std::io::Seek>(
    reader: Result<StreamReader<R>, vmstate::Error>,
) -> Result<Vec<Record>, String> {
    let mut reader = reader.map_err(|e| e.to_string())?;
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().map_err(|e| e.to_string())? {
        records.push(record);
    }
    Ok(records)
}

/// One page a record.
pub fn pages(bytes: &[u8]) -> Result<Vec<Record>, String> {
    all(StreamReader::new(Cursor::new(bytes)))
}

/// Pages in runs (`with_page_runs`).
pub fn runs(bytes: &[u8]) -> Result<Vec<Record>, String> {
    all(StreamReader::new(Cursor::new(bytes)).map(StreamReader::with_page_runs))
}

/// Pages counted (`with_page_counts`), read at offsets with `read_at`.
pub fn counts(bytes: &[u8], read_at: ReadAt<Cursor<Vec<u8>>>) -> Result<Vec<Record>, String> {
    all(StreamReader::new(Cursor::new(bytes.to_vec())).map(|r| r.with_page_counts(read_at)))
}
