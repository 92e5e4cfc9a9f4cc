//! Opening the input: a file, or standard input spooled to a temporary file,
//! since the reader seeks to the stream's description at its end.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::path::Path;

use crate::Failure;

/// Opens `path`, or spools standard input when it is `-`.
pub fn open(path: &Path) -> Result<File, Failure> {
    if path == Path::new("-") {
        let mut spool = tempfile_in(&std::env::temp_dir())?;
        io::copy(&mut io::stdin().lock(), &mut spool)
            .map_err(|e| Failure::BadInput(format!("reading standard input: {e}")))?;
        spool
            .seek(SeekFrom::Start(0))
            .map_err(|e| Failure::BadInput(format!("spooling standard input: {e}")))?;
        return Ok(spool);
    }
    File::open(path).map_err(|e| Failure::Usage(format!("cannot open {}: {e}", path.display())))
}

/// The first extent of `file` that holds data at or after `from`, or `None`
/// when only a hole follows: what lets a mapped-ram file be read in time
/// proportional to the pages it holds (see
/// [`vmstate::stream::DataExtents`]).
pub fn data_extent<F: AsFd>(file: &F, from: u64) -> io::Result<Option<(u64, u64)>> {
    match rustix::fs::seek(file, rustix::fs::SeekFrom::Data(from)) {
        Ok(start) => {
            let end = rustix::fs::seek(file, rustix::fs::SeekFrom::Hole(start))?;
            Ok(Some((start, end)))
        }
        Err(rustix::io::Errno::NXIO) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A new file in `dir` that is removed once closed.
fn tempfile_in(dir: &Path) -> Result<File, Failure> {
    match crate::atomic_output::unnamed_in(dir) {
        Ok(Some(file)) => return Ok(file),
        Ok(None) => {}
        Err(e) => {
            return Err(Failure::BadInput(format!(
                "cannot create a file in {}: {e}",
                dir.display()
            )));
        }
    }
    let path = dir.join(format!("vmstate-stdin-{}", std::process::id()));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Failure::Io(format!("cannot create {}: {e}", path.display())))?;
    // Without unnamed files: unlinked at once, the open handle keeps the data until it is closed.
    let _ = std::fs::remove_file(&path);
    Ok(file)
}
