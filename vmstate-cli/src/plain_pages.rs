//! RAM pages that a release refuses, written as the PAGE records every
//! release loads: the bytes the destination would have put in guest memory,
//! in the plainest encoding.
//!
//! - A ZERO record whose fill byte is not 0 (only QEMU before 1.5 wrote
//!   them): QEMU from 8.2 refuses it ("Found a zero page with value").
//! - A page compressed by the `compress` capability (QEMU 2.1 to 9.0): QEMU
//!   loads it only with its own capability on, and 9.1 removed it. QEMU
//!   compresses whole target pages with zlib (`compress2` in
//!   `do_compress_ram_page`), so the data inflates to exactly one page;
//!   anything else is not a page QEMU wrote, and `convert` stops there
//!   rather than guess (QEMU's loader fails on it too: "decompress data
//!   failed").

use miniz_oxide::inflate::decompress_to_vec_zlib_with_limit;
use vmstate::stream::{RamRecord, Record};

use crate::CommandError;

/// `record` as a PAGE record when it is one of the pages above, else as it
/// is. `at` is the record's byte offset in the stream, for errors.
pub fn plain_page(record: Record, page_size: usize, at: u64) -> Result<Record, CommandError> {
    Ok(match record {
        Record::Ram(RamRecord::Zero {
            offset,
            block,
            fill,
        }) if fill != 0 => Record::Ram(RamRecord::Page {
            offset,
            block,
            data: vec![fill; page_size],
        }),
        Record::Ram(RamRecord::Compressed {
            offset,
            block,
            data,
        }) => {
            let page = decompress_to_vec_zlib_with_limit(&data, page_size)
                .map_err(|e| format!("{e:?}"))
                .and_then(|page| {
                    if page.len() == page_size {
                        Ok(page)
                    } else {
                        Err(format!("{} bytes, not a {page_size}-byte page", page.len()))
                    }
                })
                .map_err(|why| {
                    CommandError::BadInput(format!(
                        "section `ram`, byte offset {at}: the compressed page at 0x{offset:x} \
                         of its block does not inflate to one page ({why}); QEMU's loader \
                         fails on it too (\"decompress data failed\")"
                    ))
                })?;
            Record::Ram(RamRecord::Page {
                offset,
                block,
                data: page,
            })
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::compress_to_vec_zlib;

    fn compressed(data: Vec<u8>) -> Record {
        Record::Ram(RamRecord::Compressed {
            offset: 0x3000,
            block: Some("pc.ram".into()),
            data,
        })
    }

    #[test]
    fn a_compressed_page_becomes_the_page_it_holds() {
        let page: Vec<u8> = (0..4096u32).map(|i| (i % 7) as u8).collect();
        let record = plain_page(compressed(compress_to_vec_zlib(&page, 6)), 4096, 99).unwrap();
        assert_eq!(
            record,
            Record::Ram(RamRecord::Page {
                offset: 0x3000,
                block: Some("pc.ram".into()),
                data: page,
            })
        );
    }

    #[test]
    fn data_that_is_not_one_page_is_refused_with_where() {
        for data in [
            compress_to_vec_zlib(&[1; 100], 6),
            compress_to_vec_zlib(&[1; 8192], 6),
            vec![0x78, 0x9c, 0xff, 0xff],
        ] {
            let Err(CommandError::BadInput(message)) = plain_page(compressed(data), 4096, 99)
            else {
                panic!("accepted");
            };
            assert!(
                message.starts_with("section `ram`, byte offset 99: the compressed page at 0x3000"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_zero_page_filled_with_a_byte_becomes_a_page_of_it() {
        let zero = |fill| {
            Record::Ram(RamRecord::Zero {
                offset: 0,
                block: None,
                fill,
            })
        };
        assert_eq!(
            plain_page(zero(7), 4096, 0).unwrap(),
            Record::Ram(RamRecord::Page {
                offset: 0,
                block: None,
                data: vec![7; 4096],
            })
        );
        assert_eq!(plain_page(zero(0), 4096, 0).unwrap(), zero(0));
    }
}
