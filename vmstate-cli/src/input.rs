//! Opening the input: a file, or standard input spooled to a temporary file,
//! since the reader seeks to the stream's description at its end.

use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::Path;

use crate::Failure;

/// Opens `path`, or spools standard input when it is `-`; a libvirt save
/// image opens as its stream.
pub fn open(path: &Path) -> Result<File, Failure> {
    open_with_image(path).map(|(file, _)| file)
}

/// Opens `path` as [`open`] does, and returns the libvirt save image's
/// header and data when the stream came out of one.
pub fn open_with_image(
    path: &Path,
) -> Result<(File, Option<vmstate::container::libvirt::SaveImage>), Failure> {
    crate::libvirt_image::unwrap(open_file(path)?, path)
}

/// Opens `path`, or spools standard input when it is `-`.
fn open_file(path: &Path) -> Result<File, Failure> {
    if path == Path::new("-") {
        let mut spool = tempfile_in(&std::env::temp_dir(), "stdin")?;
        io::copy(&mut io::stdin().lock(), &mut spool)
            .map_err(|e| Failure::BadInput(format!("reading standard input: {e}")))?;
        spool
            .seek(SeekFrom::Start(0))
            .map_err(|e| Failure::BadInput(format!("spooling standard input: {e}")))?;
        return Ok(spool);
    }
    File::open(path).map_err(|e| Failure::Usage(format!("cannot open {}: {e}", path.display())))
}

/// A new file in `dir` that is removed once closed; `purpose` names it
/// where the file system has no unnamed files.
pub fn tempfile_in(dir: &Path, purpose: &str) -> Result<File, Failure> {
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
    let path = dir.join(format!("vmstate-{purpose}-{}", std::process::id()));
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
