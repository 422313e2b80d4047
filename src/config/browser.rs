//! The browser's settings outside any profile: background indexing (`index`, `index_max_age`
//! and their `ORGTUI_INDEX`, `ORGTUI_INDEX_MAX_AGE` variables; a variable wins over the file,
//! as for every other setting).

use std::time::Duration;

use super::limits::{INDEX_MAX_AGE, bounded};
use super::{ConfigFile, Env};
use crate::error::{Error, Result};

/// `index_max_age` when unset: a day.
pub const DEFAULT_INDEX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Whether the browser indexes the whole org in the background, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSettings {
    /// `index = "auto"` (the default); `"off"`: only `a` loads everything.
    pub auto: bool,
    /// A snapshot older than this (or none) is indexed again on start.
    pub max_age: Duration,
}

impl Default for IndexSettings {
    fn default() -> Self {
        IndexSettings {
            auto: true,
            max_age: DEFAULT_INDEX_MAX_AGE,
        }
    }
}

/// The indexing settings from the file and the environment, checked: an unknown mode or an
/// age out of range is a config error naming the key.
pub fn index_settings(file: &ConfigFile, file_name: &str, env: Env) -> Result<IndexSettings> {
    let (mode, source) = match env("ORGTUI_INDEX") {
        Some(v) => (Some(v), "environment (ORGTUI_INDEX)".to_string()),
        None => (file.index.clone(), file_name.to_string()),
    };
    let auto = match mode.as_deref().map(|m| m.trim().to_ascii_lowercase()) {
        None => true,
        Some(m) if m == "auto" => true,
        Some(m) if m == "off" => false,
        Some(_) => {
            let shown = crate::text::sanitize_line(mode.as_deref().unwrap_or_default(), 40);
            return Err(Error::config(
                source,
                format!("index: {shown:?} is not one of auto, off"),
            ));
        }
    };
    let key = |k: &str| k.to_string();
    let hours = bounded(
        &INDEX_MAX_AGE,
        file.index_max_age.as_ref(),
        env,
        file_name,
        &key,
    )?;
    let max_age = match hours {
        None => DEFAULT_INDEX_MAX_AGE,
        // Bounded to 0..=8760 hours by `bounded`: it fits a `Duration`.
        Some(h) => Duration::try_from_secs_f64(h * 3600.0).unwrap_or(DEFAULT_INDEX_MAX_AGE),
    };
    Ok(IndexSettings { auto, max_age })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn file(text: &str) -> ConfigFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn defaults_to_auto_and_a_day() {
        let s = index_settings(&ConfigFile::default(), "c.toml", &env_of(&[])).unwrap();
        assert_eq!(s, IndexSettings::default());
        assert!(s.auto);
        assert_eq!(s.max_age, Duration::from_secs(86_400));
    }

    #[test]
    fn file_and_environment() {
        let f = file("index = \"off\"\nindex_max_age = 2\n");
        let s = index_settings(&f, "c.toml", &env_of(&[])).unwrap();
        assert!(!s.auto);
        assert_eq!(s.max_age, Duration::from_secs(7200));
        let env = env_of(&[("ORGTUI_INDEX", "Auto"), ("ORGTUI_INDEX_MAX_AGE", "0.5")]);
        let s = index_settings(&f, "c.toml", &env).unwrap();
        assert!(s.auto, "the variable wins");
        assert_eq!(s.max_age, Duration::from_secs(1800));
        let s = index_settings(&file("index_max_age = 0"), "c.toml", &env_of(&[])).unwrap();
        assert_eq!(s.max_age, Duration::ZERO, "0: index on every start");
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = index_settings(&file("index = \"sometimes\""), "c.toml", &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("index"), "{e}");
        for bad in [
            "index_max_age = 9000",
            "index_max_age = -1",
            "index_max_age = \"x\"",
        ] {
            let e = index_settings(&file(bad), "c.toml", &env_of(&[]))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("index_max_age") && e.contains("8760"),
                "{bad}: {e}"
            );
        }
        let e = index_settings(
            &ConfigFile::default(),
            "c.toml",
            &env_of(&[("ORGTUI_INDEX", "\u{1b}[2Jon")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("ORGTUI_INDEX") && !e.contains('\u{1b}'), "{e}");
    }
}
