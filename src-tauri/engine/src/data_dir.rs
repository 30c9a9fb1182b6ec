//! The app's data dir holds the hub's secret, the database with API key
//! hashes and the audit log, and the logs: only its owner may enter it.

use std::io;
use std::path::Path;

/// The mode of the data dir and the folders the app makes in it.
pub const PRIVATE: u32 = 0o700;

/// Makes `dir` (its missing parents with the usual mode) readable by its
/// owner only; a folder that exists with a looser mode is tightened. An
/// error names the folder.
pub fn make_private(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|err| named(dir, err))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        match std::fs::DirBuilder::new().mode(PRIVATE).create(dir) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(err) => return Err(named(dir, err)),
        }
        let mode = std::fs::metadata(dir)
            .map_err(|err| named(dir, err))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(PRIVATE)).map_err(|err| named(dir, err))?;
            tracing::info!(dir = %dir.display(), from = format!("{:o}", mode & 0o777), "made the folder private (0700)");
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|err| named(dir, err))?;
    Ok(())
}

fn named(dir: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", dir.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(dir: &Path) -> u32 {
        std::fs::metadata(dir).expect("meta").permissions().mode() & 0o777
    }

    #[test]
    fn new_and_loose_folders_end_up_private() {
        let root = tempfile::tempdir().expect("tempdir");
        let fresh = root.path().join("a/b/data");
        make_private(&fresh).expect("made");
        assert_eq!(mode(&fresh), PRIVATE);

        let loose = root.path().join("loose");
        std::fs::create_dir(&loose).expect("mkdir");
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        make_private(&loose).expect("tightened");
        assert_eq!(mode(&loose), PRIVATE);

        let file = root.path().join("file");
        std::fs::write(&file, "x").expect("write");
        let err = make_private(&file).expect_err("a file is no folder");
        assert!(err.to_string().contains("file"), "{err}");
    }
}
