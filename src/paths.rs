//! Where orgtui keeps its files (config, cache, snapshots, log): the one place that names the
//! platform directories. It sits below everything that reads or writes a file, so the file
//! writer, the snapshot and the config can all ask it without importing one another.

/// The platform's config, cache and data directories for orgtui.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "orgtui")
}
