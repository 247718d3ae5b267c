//! Add photos/videos… (and photo or video files dropped on the window): the app side of
//! `locus add-media`. Each file is hashed into the evidence store and its metadata read on a
//! background thread (`locus_core::intake::media::prepare_media`), then recorded as a new
//! photo/video item, one undoable edit each; the status line says what the metadata set.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, block_on, poll_once};
use chrono::Utc;
use locus_core::case::EvidenceItem;
use locus_core::case::edit::{Edit, next_id};
use locus_core::intake::media::{MediaKind, prepare_media};

use crate::background::Background;
use crate::case_scene::CaseScene;
use crate::editing::{EditCommand, EditCommands, EditStatus};
use crate::settings::Settings;
use crate::view::markers::{Selection, Target};

#[derive(Resource, Default)]
pub struct MediaState {
    dialog: Option<Task<Option<Vec<PathBuf>>>>,
    preparing: Vec<(PathBuf, Background<Result<EvidenceItem, String>>)>,
}

impl MediaState {
    /// Opens the native file dialog for photos and videos.
    pub fn choose(&mut self) {
        self.dialog = Some(IoTaskPool::get().spawn(async {
            rfd::AsyncFileDialog::new()
                .set_title("Add photos and videos as evidence")
                .add_filter(
                    "Photos and videos",
                    &[
                        "jpg", "jpeg", "png", "tif", "tiff", "webp", "heic", "heif", "dng", "mp4",
                        "mov", "m4v", "3gp", "mkv", "webm", "avi", "mts",
                    ],
                )
                .pick_files()
                .await
                .map(|files| files.iter().map(|h| h.path().to_path_buf()).collect())
        }));
    }

    /// Starts hashing `file` into the case and reading its metadata.
    pub fn start(&mut self, scene: &CaseScene, file: PathBuf, author: &str) {
        let dir = scene.loaded().dir.clone();
        let (src, by, tz) = (file.clone(), author.to_string(), scene.tz());
        let task = Background::spawn("add media", move || {
            prepare_media(&dir, &src, &by, Utc::now(), tz)
        });
        self.preparing.push((file, task));
    }
}

/// Whether a dropped file is a photo or video (by its name).
pub fn is_media_file(path: &std::path::Path) -> bool {
    MediaKind::of(path).is_some()
}

pub fn plugin(app: &mut App) {
    app.init_resource::<MediaState>().add_systems(
        Update,
        poll_media
            .before(crate::editing::apply_edit_commands)
            .run_if(resource_exists::<CaseScene>),
    );
}

/// Polls the dialog and the files being prepared; one finished file becomes one edit per
/// frame (the next one's id must see this one added).
fn poll_media(
    mut state: ResMut<MediaState>,
    scene: Res<CaseScene>,
    settings: Res<Settings>,
    mut commands: ResMut<EditCommands>,
    mut status: ResMut<EditStatus>,
    mut selection: ResMut<Selection>,
) {
    let state = &mut *state;
    if let Some(task) = state.dialog.as_mut()
        && let Some(result) = block_on(poll_once(task))
    {
        state.dialog = None;
        match result {
            Some(files) => {
                status.info(format!("Adding {} file(s)…", files.len()));
                let author = settings.effective_author();
                for f in files {
                    state.start(&scene, f, &author);
                }
            }
            None => status.info("No file chosen."),
        }
    }
    let Some((k, result)) = state
        .preparing
        .iter()
        .enumerate()
        .find_map(|(k, (_, t))| t.poll().map(|r| (k, r)))
    else {
        return;
    };
    let (file, _) = state.preparing.remove(k);
    let name = file.display().to_string();
    let mut item = match result.and_then(|r| r) {
        Ok(item) => item,
        Err(e) => {
            status.error(format!("Could not add {name}: {e}"));
            return;
        }
    };
    item.id = next_id(
        scene.case(),
        locus_core::intake::media::id_prefix(item.category),
    );
    status.info(describe(&item));
    let index = scene.case().evidence.len();
    commands.0.push(EditCommand::apply(Edit::AddItem {
        index,
        item: Box::new(item),
    }));
    selection.select(Some(Target::Item(index)));
}

/// "Added P3 (photo.jpg): time, position and camera from EXIF, unverified."
fn describe(item: &EvidenceItem) -> String {
    let meta = item.media_metadata.clone().unwrap_or_default();
    let set: Vec<&str> = ["time", "position", "camera"]
        .into_iter()
        .filter(|f| meta.applied(f))
        .collect();
    let unknown: Vec<&str> = [
        ("time", item.time.is_none()),
        ("position", !item.position.location.is_known()),
    ]
    .into_iter()
    .filter_map(|(f, u)| u.then_some(f))
    .collect();
    let mut m = format!("Added {} ({})", item.id, item.title);
    if !set.is_empty() {
        m += &format!(": {} {}", set.join(", "), meta.provenance());
    }
    if !unknown.is_empty() {
        m += &format!(
            "; {} unknown: set by hand (Edit…) or by Match camera…",
            unknown.join(" and ")
        );
    }
    m + "."
}
