//! Where `set` and `convert` write: standard output, or a temporary file
//! beside the target that replaces it only once the whole stream is written.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::Failure;

/// The output: standard output, or a temporary file beside the target that is
/// renamed over it only when everything was written, so a failure never
/// truncates an existing file (or the input, when they are the same).
pub enum Output {
    Stdout,
    File {
        temporary: PathBuf,
        target: PathBuf,
        file: File,
    },
}

impl Output {
    pub fn create(target: &Path) -> Result<Self, Failure> {
        if target == Path::new("-") {
            return Ok(Self::Stdout);
        }
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = target.file_name().map_or_else(
            || "output".into(),
            |name| name.to_string_lossy().into_owned(),
        );
        let temporary = dir.join(format!(".{file_name}.vmstate-{}.tmp", std::process::id()));
        let file = File::create(&temporary)
            .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", temporary.display())))?;
        Ok(Self::File {
            temporary,
            target: target.to_owned(),
            file,
        })
    }

    pub fn file(&self) -> Result<Box<dyn Write>, Failure> {
        match self {
            Self::Stdout => Ok(Box::new(std::io::stdout().lock())),
            Self::File {
                file, temporary, ..
            } => {
                let mut clone = file
                    .try_clone()
                    .map_err(|e| Failure::BadInput(format!("{}: {e}", temporary.display())))?;
                clone
                    .seek(SeekFrom::Start(0))
                    .map_err(|e| Failure::BadInput(format!("{}: {e}", temporary.display())))?;
                Ok(Box::new(clone))
            }
        }
    }

    /// The temporary file itself, when the output is a file: a writer that
    /// can seek leaves the zero pages of mapped-ram regions as holes. `None`
    /// for standard output.
    pub fn seekable(&self) -> Result<Option<File>, Failure> {
        match self {
            Self::Stdout => Ok(None),
            Self::File {
                file, temporary, ..
            } => file
                .try_clone()
                .map(Some)
                .map_err(|e| Failure::BadInput(format!("{}: {e}", temporary.display()))),
        }
    }

    pub fn commit(self) -> Result<(), Failure> {
        match &self {
            Self::Stdout => Ok(()),
            Self::File {
                temporary, target, ..
            } => std::fs::rename(temporary, target).map_err(|e| {
                Failure::BadInput(format!("cannot rename to {}: {e}", target.display()))
            }),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Still here means not committed: remove the partial file. After a
        // rename this finds nothing to remove.
        if let Self::File { temporary, .. } = self {
            let _ = std::fs::remove_file(temporary);
        }
    }
}
