//! Entry points for the fuzzer (`fuzz/`) and its regression tests: each runs one input through
//! one reader as a user's file would go, and must return (an `Err` is fine) without panicking,
//! aborting or hanging. Files are written to a private temporary folder where a reader takes a
//! path.

use std::path::Path;

use crate::events::{EventFormat, ImportOptions, parse_events};

/// `case.json`: parsed and validated; when valid, its site opened (no model files exist).
pub fn case_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("/nonexistent/case.json");
    if let Ok(case) = crate::case::file::parse_case(text, file) {
        let loaded = crate::case::file::LoadedCase {
            case,
            file: file.to_path_buf(),
            dir: file.parent().unwrap_or(Path::new("/")).to_path_buf(),
        };
        let site = crate::site::Site::open(&loaded);
        let _ = crate::case::timeline::TimeSpan::of_case(&loaded.case);
        let _ = site.layout;
    }
}

/// `audit.jsonl`: every line checked.
pub fn audit_log(data: &[u8]) {
    let _ = crate::case::audit::check(data);
}

/// An event file; the first byte picks the format.
pub fn events(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (name, format) = match pick % 5 {
        0 => ("e.csv", EventFormat::Csv),
        1 => ("e.geojson", EventFormat::GeoJson),
        2 => ("e.kml", EventFormat::Kml),
        3 => ("e.kmz", EventFormat::Kmz),
        _ => ("e.json", EventFormat::TimeMap),
    };
    let options = ImportOptions {
        format: Some(format),
        ..Default::default()
    };
    let _ = parse_events(body, name, &options, "Europe/Amsterdam");
}

/// A model file (or a KTX2 texture); the first byte picks the format.
pub fn models(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ext = ["glb", "gltf", "obj", "ply", "las", "laz", "ktx2"][pick as usize % 7];
    if ext == "ktx2" {
        let _ = crate::formats::model::decode_ktx2(body);
        return;
    }
    with_file(ext, body, |path| {
        let _ = crate::formats::model::load_model(path);
        let _ = crate::formats::companions::companions(path);
    });
}

/// A photo's metadata (EXIF, XMP, in any container kamadak-exif reads) and a video's ffprobe
/// report; the first byte picks which. The item made from what was read must validate.
pub fn media(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let tz = chrono_tz::Europe::Amsterdam;
    let meta = if pick % 2 == 0 {
        crate::intake::media::read_photo_metadata(body, tz)
    } else {
        match crate::intake::media::parse_ffprobe(body, tz) {
            Ok(m) => m,
            Err(_) => return,
        }
    };
    let item = crate::intake::media::item_from_media(
        "P1".into(),
        crate::intake::media::MediaKind::Photo,
        "fuzz.jpg",
        meta,
    );
    assert!(item.position.validate().is_ok(), "{:?}", item.position);
    if let Some(c) = &item.camera {
        assert!(c.validate().is_ok(), "{c:?}");
    }
    if let Some(t) = &item.time {
        assert!(t.validate().is_ok(), "{t:?}");
    }
    if let Some(m) = &item.media_metadata {
        assert!(m.validate().is_ok(), "{m:?}");
    }
}

/// A sealed package: verified.
pub fn package(data: &[u8]) {
    with_file("locus", data, |path| {
        let _ = crate::integrity::package::verify(path, None, None);
    });
}

fn with_file(ext: &str, data: &[u8], read: impl FnOnce(&Path)) {
    thread_local! {
        static DIR: Option<tempfile::TempDir> = tempfile::tempdir().ok();
    }
    DIR.with(|dir| {
        let Some(dir) = dir else { return };
        let path = dir.path().join(format!("input.{ext}"));
        if std::fs::write(&path, data).is_ok() {
            read(&path);
        }
    });
}
