//! The files a model file references and needs beside it: an OBJ's MTL libraries and the
//! textures they name, a glTF's external buffers and images, a PLY's `TextureFile`. Adding a
//! model copies them with it, and a sealed package carries them. Only the references are
//! read here (no geometry); a reference that would leave the model's folder (an absolute
//! path, `..`, a `file:` or web URI) is refused by name, since a case must hold its own files.

use std::path::Path;

/// One referenced file: its path relative to the model's folder (with `/`), and whether it
/// is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Companion {
    pub relative: String,
    pub exists: bool,
}

/// Why the companions of a model could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanionError {
    /// The model file cannot be read as its format (it is reported when the model is opened).
    #[error("{0}")]
    Unreadable(String),
    /// It names a file outside its own folder, or by a URI: refused.
    #[error("{0}")]
    Outside(String),
}

/// The files `model` references, in the order first referenced, without repeats. Errs when
/// the model cannot be read or names a file outside its own folder.
pub fn companions(model: &Path) -> Result<Vec<Companion>, CompanionError> {
    let ext = model
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = model.parent().unwrap_or_else(|| Path::new("."));
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| CompanionError::Unreadable(format!("{e}: {}", p.display())))
    };
    let mut refs: Vec<String> = Vec::new();
    match ext.as_str() {
        "gltf" => refs = gltf_uris(&read(model)?, model)?,
        "glb" => refs = gltf_uris(glb_json(&read(model)?, model)?, model)?,
        "obj" => {
            let text = String::from_utf8_lossy(&read(model)?).into_owned();
            for lib in obj_mtllibs(&text) {
                let lib = checked(&lib, model)?;
                refs.push(lib.clone());
                if let Ok(bytes) = std::fs::read(base.join(&lib)) {
                    // Texture names in an MTL are relative to the MTL's own folder.
                    let mtl_dir = Path::new(&lib).parent().unwrap_or_else(|| Path::new(""));
                    for tex in mtl_textures(&String::from_utf8_lossy(&bytes)) {
                        let joined = mtl_dir.join(&tex).to_string_lossy().replace('\\', "/");
                        refs.push(checked(&joined, model)?);
                    }
                }
            }
        }
        "ply" => {
            if let Some(t) = ply_texture_file(&read(model)?) {
                refs.push(checked(&t, model)?);
            }
        }
        _ => {}
    }
    let mut out: Vec<Companion> = Vec::new();
    for r in refs {
        if out.iter().all(|c| c.relative != r) {
            out.push(Companion {
                exists: base.join(&r).is_file(),
                relative: r,
            });
        }
    }
    Ok(out)
}

/// A reference as a clean relative path inside the model's folder, or why it is refused.
fn checked(reference: &str, model: &Path) -> Result<String, CompanionError> {
    let r = reference.trim().replace('\\', "/");
    let refuse = |why: &str| {
        Err(CompanionError::Outside(format!(
            "{} refers to {reference:?}, {why}; a case must hold its own files (put them in the model's folder)",
            model.display()
        )))
    };
    if r.contains("://") || r.starts_with("file:") {
        return refuse("a URI, not a file beside the model");
    }
    if r.starts_with('/') || (r.len() > 1 && r.as_bytes()[1] == b':') {
        return refuse("an absolute path");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in r.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return refuse("outside the model's folder");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return refuse("an empty path");
    }
    Ok(parts.join("/"))
}

/// The JSON chunk of a GLB.
fn glb_json<'a>(bytes: &'a [u8], model: &Path) -> Result<&'a [u8], CompanionError> {
    let bad = || {
        CompanionError::Unreadable(format!(
            "not a valid GLB (no JSON chunk): {}",
            model.display()
        ))
    };
    let len = bytes
        .get(12..16)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(bad)?;
    bytes.get(20..20usize.saturating_add(len)).ok_or_else(bad)
}

/// The external `uri`s of a glTF's buffers and images (not `data:` URIs), decoded.
fn gltf_uris(json: &[u8], model: &Path) -> Result<Vec<String>, CompanionError> {
    let v: serde_json::Value = serde_json::from_slice(json).map_err(|e| {
        CompanionError::Unreadable(format!("not valid glTF JSON ({e}): {}", model.display()))
    })?;
    let mut out = Vec::new();
    for key in ["buffers", "images"] {
        for entry in v.get(key).and_then(|v| v.as_array()).into_iter().flatten() {
            if let Some(uri) = entry.get("uri").and_then(|u| u.as_str())
                && !uri.starts_with("data:")
            {
                out.push(checked(&crate::formats::gltf_ext::decode_uri(uri), model)?);
            }
        }
    }
    Ok(out)
}

/// `mtllib` names in an OBJ (a line may name several, separated by spaces).
fn obj_mtllibs(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("mtllib"))
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .flat_map(|rest| rest.split_whitespace().map(str::to_string))
        .collect()
}

/// Texture maps an MTL names: the last word of each `map_*`, `bump`, `disp`, `decal` or
/// `refl` line (options such as `-s 1 1 1` come before the file name).
fn mtl_textures(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let key = words.next()?.to_ascii_lowercase();
            let is_map = key.starts_with("map_")
                || matches!(key.as_str(), "bump" | "disp" | "decal" | "refl" | "norm");
            is_map.then(|| words.last().map(str::to_string)).flatten()
        })
        .collect()
}

/// The `comment TextureFile NAME` of a PLY header.
fn ply_texture_file(bytes: &[u8]) -> Option<String> {
    let end = bytes
        .windows(10)
        .position(|w| w == b"end_header")
        .unwrap_or(bytes.len().min(64 * 1024));
    String::from_utf8_lossy(&bytes[..end])
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("comment")
                .map(str::trim)
                .and_then(|c| c.strip_prefix("TextureFile"))
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obj_mtl_and_textures_are_found_relative_to_their_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("mat")).unwrap();
        std::fs::write(
            dir.path().join("room.obj"),
            "mtllib mat/room.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl wall\nf 1 2 3\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("mat/room.mtl"),
            "newmtl wall\nKd 1 1 1\nmap_Kd -s 1 1 1 wall.jpg\nbump normal.png\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("mat/wall.jpg"), b"x").unwrap();
        let c = companions(&dir.path().join("room.obj")).unwrap();
        let names: Vec<_> = c.iter().map(|c| (c.relative.as_str(), c.exists)).collect();
        assert_eq!(
            names,
            [
                ("mat/room.mtl", true),
                ("mat/wall.jpg", true),
                ("mat/normal.png", false)
            ]
        );
    }

    #[test]
    fn references_out_of_the_folder_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("a.obj", "mtllib ../../etc/passwd\n"),
            (
                "b.gltf",
                r#"{"asset":{"version":"2.0"},"buffers":[{"uri":"file:///etc/passwd","byteLength":1}]}"#,
            ),
            (
                "c.gltf",
                r#"{"asset":{"version":"2.0"},"images":[{"uri":"/etc/hosts"}]}"#,
            ),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            let e = companions(&p).unwrap_err();
            assert!(matches!(e, CompanionError::Outside(_)), "{e}");
            let e = e.to_string();
            assert!(
                e.contains(name) && e.contains("case must hold its own files"),
                "{e}"
            );
        }
    }

    #[test]
    fn gltf_buffers_images_and_ply_textures_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let g = dir.path().join("s.gltf");
        std::fs::write(
            &g,
            r#"{"asset":{"version":"2.0"},"buffers":[{"uri":"s%20data.bin","byteLength":1},{"uri":"data:application/octet-stream;base64,AA==","byteLength":1}],"images":[{"uri":"tex/a.png"}]}"#,
        )
        .unwrap();
        let c = companions(&g).unwrap();
        assert_eq!(
            c.iter().map(|c| c.relative.as_str()).collect::<Vec<_>>(),
            ["s data.bin", "tex/a.png"]
        );
        let p = dir.path().join("m.ply");
        std::fs::write(
            &p,
            "ply\nformat ascii 1.0\ncomment TextureFile m_tex.png\nelement vertex 0\nend_header\n",
        )
        .unwrap();
        assert_eq!(companions(&p).unwrap()[0].relative, "m_tex.png");
    }
}
