//! Fuzz target: the stream reader, with every FULL section decoded against
//! the stream's own description.

use std::io::Cursor;

use vmstate::stream::{Record, StreamReader, decode};

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(reader) = StreamReader::new(Cursor::new(data)) else {
            return;
        };
        let mut reader = reader.with_delimiter(vmstate::qemu::delimit);
        let vmdesc = reader.vmdesc().cloned();
        let mut current = None;
        while let Ok(Some(record)) = reader.next_record() {
            match record {
                Record::Section(header) => current = header.info,
                Record::State { payload, offset } => {
                    if let (Some(info), Some(vmdesc)) = (current.take(), &vmdesc)
                        && let Some(device) = vmdesc.device(&info.idstr, info.instance_id)
                    {
                        let _ = decode(&device.state, &payload, offset);
                    }
                }
                _ => {}
            }
        }
    });
}
