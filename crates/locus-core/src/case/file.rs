//! Reading and writing `case.json`: version check, migrations, errors that name the file,
//! line/column and field, validation of values serde cannot check, and atomic saves.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::case::{Case, FORMAT_VERSION, Location};
use crate::integrity::fsio::atomic_write;
use crate::time::parse_time_zone;

pub const CASE_FILE_NAME: &str = "case.json";

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("cannot read the case: {source}: {}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("not a case: no {CASE_FILE_NAME} in the folder {}", path.display())]
    NoCaseFile { path: PathBuf },
    #[error("malformed JSON at line {line}, column {column}: {message}: {}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("field `{field}` at line {line}, column {column}: {message}: {}", path.display())]
    Field {
        path: PathBuf,
        field: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "case format_version {found} is newer than this Locus (reads up to {FORMAT_VERSION}); \
         open it with a newer Locus: {}", path.display()
    )]
    NewerVersion { path: PathBuf, found: u32 },
    #[error("field `{field}`: {message}: {}", path.display())]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },
}

/// A case as loaded: the model plus where it lives.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case: Case,
    /// The case folder; model and media paths are relative to it.
    pub dir: PathBuf,
    /// The `case.json` file.
    pub file: PathBuf,
}

impl LoadedCase {
    /// Absolute path of a file the case references by relative path.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }
}

/// `DIR` or `DIR/case.json` → the `case.json` path.
pub fn locate_case_file(path: &Path) -> Result<PathBuf, CaseError> {
    if path.is_dir() {
        let file = path.join(CASE_FILE_NAME);
        if file.is_file() {
            Ok(file)
        } else {
            Err(CaseError::NoCaseFile {
                path: path.to_path_buf(),
            })
        }
    } else if path.exists() {
        Ok(path.to_path_buf())
    } else {
        Err(CaseError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })
    }
}

pub fn load_case(path: &Path) -> Result<LoadedCase, CaseError> {
    let file = locate_case_file(path)?;
    let text = std::fs::read_to_string(&file).map_err(|source| CaseError::Io {
        path: file.clone(),
        source,
    })?;
    let case = parse_case(&text, &file)?;
    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(LoadedCase { case, dir, file })
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<serde_json::Value>,
}

/// Parses and validates case JSON; `file` is used in error messages only.
pub fn parse_case(text: &str, file: &Path) -> Result<Case, CaseError> {
    let syntax = |e: serde_json::Error| CaseError::Syntax {
        path: file.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    };
    let probe: VersionProbe = serde_json::from_str(text).map_err(syntax)?;
    let invalid = |field: &str, message: String| CaseError::Invalid {
        path: file.to_path_buf(),
        field: field.to_string(),
        message,
    };
    let version = match probe.format_version {
        None => {
            return Err(invalid(
                "format_version",
                "missing; a case file must say which format it uses".into(),
            ));
        }
        Some(v) => v
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| invalid("format_version", format!("{v} is not a version number")))?,
    };
    if version > FORMAT_VERSION {
        return Err(CaseError::NewerVersion {
            path: file.to_path_buf(),
            found: version,
        });
    }
    if version == 0 {
        return Err(invalid("format_version", "0 is not a valid version".into()));
    }
    // Version 1 is the first format: there is nothing to migrate yet. Migrations from older
    // versions go here, as functions on serde_json::Value, each tested with a stored sample.
    let de = &mut serde_json::Deserializer::from_str(text);
    let case: Case = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        CaseError::Field {
            path: file.to_path_buf(),
            field,
            line: inner.line(),
            column: inner.column(),
            message: strip_position(&inner.to_string()),
        }
    })?;
    validate_case(&case).map_err(|(field, message)| invalid(&field, message))?;
    Ok(case)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Checks what serde cannot: ranges, uniqueness, time order, time zone names.
/// Returns the offending field path and a message.
pub fn validate_case(case: &Case) -> Result<(), (String, String)> {
    if let Some(origin) = &case.origin {
        origin
            .geodetic()
            .validate()
            .map_err(|m| ("origin".to_string(), m))?;
    } else if let Some(i) = case
        .evidence
        .iter()
        .position(|i| matches!(i.position.location, Location::Geodetic { .. }))
    {
        return Err((
            format!("evidence[{i}].position"),
            "a latitude/longitude position needs the case to have an origin".into(),
        ));
    }
    parse_time_zone(&case.display_time_zone).map_err(|m| ("display_time_zone".to_string(), m))?;
    let mut ids = HashSet::new();
    for (i, m) in case.models.iter().enumerate() {
        if !ids.insert(m.id.as_str()) {
            return Err((
                format!("models[{i}].id"),
                format!("duplicate id {:?}", m.id),
            ));
        }
        check_relative_path(&m.path).map_err(|e| (format!("models[{i}].path"), e))?;
        m.placement
            .validate()
            .map_err(|e| (format!("models[{i}].placement"), e))?;
    }
    for (i, item) in case.evidence.iter().enumerate() {
        if item.id.trim().is_empty() {
            return Err((format!("evidence[{i}].id"), "empty id".into()));
        }
        if !ids.insert(item.id.as_str()) {
            return Err((
                format!("evidence[{i}].id"),
                format!("duplicate id {:?}", item.id),
            ));
        }
        item.position
            .validate()
            .map_err(|e| (format!("evidence[{i}].position"), e))?;
        if let Some(camera) = &item.camera {
            camera
                .validate()
                .map_err(|e| (format!("evidence[{i}].camera"), e))?;
        }
        if let Some(t) = &item.time {
            t.validate()
                .map_err(|e| (format!("evidence[{i}].time"), e))?;
        }
        if let Some(m) = &item.media_metadata {
            m.validate()
                .map_err(|e| (format!("evidence[{i}].media_metadata"), e))?;
        }
        if let Some(st) = &item.stain {
            st.validate()
                .map_err(|e| (format!("evidence[{i}].stain"), e))?;
        }
        if let Some(l) = &item.level
            && case.level(l).is_none()
        {
            return Err((
                format!("evidence[{i}].level"),
                format!("no level named {l:?} in the case's levels"),
            ));
        }
    }
    for (i, t) in case.trajectories.iter().enumerate() {
        if !ids.insert(t.id.as_str()) {
            return Err((
                format!("trajectories[{i}].id"),
                format!("duplicate id {:?}", t.id),
            ));
        }
        t.validate()
            .map_err(|e| (format!("trajectories[{i}]"), e))?;
        if let Some(l) = &t.level
            && case.level(l).is_none()
        {
            return Err((
                format!("trajectories[{i}].level"),
                format!("no level named {l:?} in the case's levels"),
            ));
        }
    }
    for (i, b) in case.bookmarks.iter().enumerate() {
        if let Some(Err(e)) = b.section.map(|s| s.validate()) {
            return Err((format!("bookmarks[{i}].section"), e));
        }
    }
    for (i, g) in case.stain_groups.iter().enumerate() {
        if g.id.trim().is_empty() || !ids.insert(g.id.as_str()) {
            return Err((
                format!("stain_groups[{i}].id"),
                format!("a stain group needs an id of its own, not {:?}", g.id),
            ));
        }
        g.validate(case)
            .map_err(|e| (format!("stain_groups[{i}]"), e))?;
    }
    let mut filter_names = HashSet::new();
    for (i, f) in case.saved_filters.iter().enumerate() {
        f.validate()
            .map_err(|e| (format!("saved_filters[{i}]"), e))?;
        if !filter_names.insert(f.name.as_str()) {
            return Err((
                format!("saved_filters[{i}].name"),
                format!("a second saved filter named {:?}", f.name),
            ));
        }
    }
    let mut level_names = HashSet::new();
    for (i, l) in case.levels.iter().enumerate() {
        if l.name.trim().is_empty() || !level_names.insert(l.name.as_str()) {
            return Err((
                format!("levels[{i}].name"),
                format!("a level needs a name of its own, not {:?}", l.name),
            ));
        }
        if !(l.floor_m.is_finite() && l.ceiling_m.is_finite() && l.floor_m < l.ceiling_m) {
            return Err((
                format!("levels[{i}]"),
                format!(
                    "floor_m {} must be below ceiling_m {} (finite metres)",
                    l.floor_m, l.ceiling_m
                ),
            ));
        }
    }
    for (i, track) in case.tracks.iter().enumerate() {
        if !ids.insert(track.id.as_str()) {
            return Err((
                format!("tracks[{i}].id"),
                format!("duplicate id {:?}", track.id),
            ));
        }
        if track.points.is_empty() {
            return Err((
                format!("tracks[{i}].points"),
                "a track needs at least one point".into(),
            ));
        }
        for (j, p) in track.points.iter().enumerate() {
            p.location
                .validate()
                .and_then(|()| {
                    p.location
                        .is_known()
                        .then_some(())
                        .ok_or_else(|| "a track point needs a place".to_string())
                })
                .map_err(|e| (format!("tracks[{i}].points[{j}].location"), e))?;
            if j > 0 && p.time < track.points[j - 1].time {
                return Err((
                    format!("tracks[{i}].points[{j}].time"),
                    "track points must be in time order".into(),
                ));
            }
        }
    }
    let mut names = HashSet::new();
    for (i, b) in case.bookmarks.iter().enumerate() {
        if !names.insert(b.name.to_lowercase()) {
            return Err((
                format!("bookmarks[{i}].name"),
                format!("duplicate bookmark name {:?}", b.name),
            ));
        }
        if !(1.0..=170.0).contains(&b.fov_deg) {
            return Err((
                format!("bookmarks[{i}].fov_deg"),
                format!("{} is outside 1..170 degrees", b.fov_deg),
            ));
        }
    }
    Ok(())
}

/// Case references must stay inside the case folder.
pub fn check_relative_path(p: &str) -> Result<(), String> {
    let path = Path::new(p);
    if p.is_empty() {
        return Err("empty path".into());
    }
    if path.is_absolute() || p.starts_with('/') || p.starts_with('\\') || p.contains(':') {
        return Err(format!("{p:?} must be relative to the case folder"));
    }
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
        || p.split(['/', '\\']).any(|s| s == "..")
    {
        return Err(format!("{p:?} must not leave the case folder (`..`)"));
    }
    Ok(())
}

/// Serialises the case as pretty JSON and replaces `case.json` atomically.
pub fn save_case(case: &Case, file: &Path) -> Result<(), CaseError> {
    validate_case(case).map_err(|(field, message)| CaseError::Invalid {
        path: file.to_path_buf(),
        field,
        message,
    })?;
    let mut text = serde_json::to_string_pretty(case).map_err(|e| CaseError::Invalid {
        path: file.to_path_buf(),
        field: String::new(),
        message: e.to_string(),
    })?;
    text.push('\n');
    atomic_write(file, text.as_bytes()).map_err(|source| CaseError::Io {
        path: file.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
  "format_version": 1,
  "title": "t",
  "origin": {"lat_deg": 52.0, "lon_deg": 5.0, "height_m": 0.0},
  "display_time_zone": "Europe/Amsterdam"
}"#;

    fn parse(text: &str) -> Result<Case, CaseError> {
        parse_case(text, Path::new("case.json"))
    }

    #[test]
    fn minimal_case_loads() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.title, "t");
        assert!(c.evidence.is_empty());
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = parse("{\n  \"format_version\": 1,\n  \"title\": \"x\",,\n}").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, CaseError::Syntax { line: 3, .. }), "{msg}");
        assert!(
            msg.contains("line 3, column") && msg.ends_with("case.json"),
            "{msg}"
        );
    }

    #[test]
    fn field_error_names_the_field() {
        let text = MINIMAL.replace(
            "\"display_time_zone\": \"Europe/Amsterdam\"",
            "\"display_time_zone\": \"Europe/Amsterdam\", \"evidence\": [{\"id\": \"E1\", \"title\": \"a\", \"category\": \"rumour\", \"position\": {\"location\": {\"frame\": \"enu\", \"east_m\": 0, \"north_m\": 0}}}]",
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("evidence[0].category") && err.contains("rumour"),
            "{err}"
        );
    }

    #[test]
    fn newer_version_is_refused() {
        let err =
            parse(&MINIMAL.replace("\"format_version\": 1", "\"format_version\": 7")).unwrap_err();
        assert!(matches!(err, CaseError::NewerVersion { found: 7, .. }));
        assert!(err.to_string().contains("newer than this Locus"));
    }

    #[test]
    fn missing_version_is_refused() {
        let err = parse(&MINIMAL.replace("\"format_version\": 1,", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("format_version"), "{err}");
    }

    #[test]
    fn invalid_values_name_the_field() {
        let err = parse(&MINIMAL.replace("52.0", "152.0"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("field `origin`") && err.contains("lat_deg"),
            "{err}"
        );
        let err = parse(&MINIMAL.replace("Europe/Amsterdam", "Nowhere/Else"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("display_time_zone"), "{err}");
    }

    #[test]
    fn paths_must_stay_in_the_case() {
        assert!(check_relative_path("models/site.glb").is_ok());
        for bad in ["/etc/passwd", "../x.glb", "a/../../x", "C:\\x.glb", ""] {
            assert!(check_relative_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let case = parse(MINIMAL).unwrap();
        let file = dir.path().join(CASE_FILE_NAME);
        save_case(&case, &file).unwrap();
        let loaded = load_case(dir.path()).unwrap();
        assert_eq!(loaded.case, case);
        assert_eq!(loaded.dir, dir.path());
    }
}
