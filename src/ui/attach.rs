//! Attaching original files to an item: chosen with the native file dialog (rfd, async) or
//! typed, then hashed and copied into the case's evidence store on a background thread, so
//! that a large video never blocks a frame. The item records name, size, SHA-256, who added
//! it and when; the original is never modified.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, block_on, poll_once};

use crate::background::Background;
use chrono::Utc;
use locus_core::case::Attachment;
use locus_core::case::edit::Edit;
use locus_core::integrity::attach::{AttachError, attach_file};

use crate::case_scene::CaseScene;
use crate::editing::{EditCommand, EditCommands, EditStatus};
use crate::settings::Settings;

#[derive(Resource, Default)]
pub struct AttachState {
    dialog: Option<(String, Task<Option<Vec<PathBuf>>>)>,
    copying: Vec<(String, PathBuf, Background<Result<Attachment, AttachError>>)>,
    /// A typed path, for machines without a file dialog.
    pub path_text: String,
}

impl AttachState {
    pub fn busy(&self) -> bool {
        self.dialog.is_some() || !self.copying.is_empty()
    }

    pub fn copying_names(&self) -> Vec<String> {
        self.copying
            .iter()
            .map(|(_, p, _)| p.display().to_string())
            .collect()
    }

    /// Opens the native file dialog for `item_id`.
    pub fn choose(&mut self, item_id: &str) {
        let task = IoTaskPool::get().spawn(async {
            rfd::AsyncFileDialog::new()
                .set_title("Attach original files to the item")
                .pick_files()
                .await
                .map(|files| files.iter().map(|h| h.path().to_path_buf()).collect())
        });
        self.dialog = Some((item_id.to_string(), task));
    }

    /// Starts hashing and copying `source` into the case's evidence store.
    pub fn start_copy(&mut self, case_dir: &Path, item_id: &str, source: PathBuf, author: &str) {
        let (dir, src, by) = (case_dir.to_path_buf(), source.clone(), author.to_string());
        let task = Background::spawn("attach file", move || {
            attach_file(&dir, &src, &by, Utc::now())
        });
        self.copying.push((item_id.to_string(), source, task));
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<AttachState>().add_systems(
        Update,
        poll_attachments
            .before(crate::editing::apply_edit_commands)
            .run_if(resource_exists::<CaseScene>),
    );
}

/// Polls the dialog and the copies; a finished copy becomes one edit of its item.
pub fn poll_attachments(
    mut state: ResMut<AttachState>,
    scene: Res<CaseScene>,
    settings: Res<Settings>,
    mut commands: ResMut<EditCommands>,
    mut status: ResMut<EditStatus>,
) {
    let state = &mut *state;
    if let Some((item, task)) = state.dialog.as_mut()
        && let Some(result) = block_on(poll_once(task))
    {
        let item = item.clone();
        state.dialog = None;
        match result {
            Some(files) => {
                let author = settings.effective_author();
                for f in files {
                    state.start_copy(&scene.loaded().dir, &item, f, &author);
                }
            }
            None => {
                status.message = Some((
                    "No file chosen (or no file dialog is available here: type the path).".into(),
                    false,
                ))
            }
        }
    }
    let mut k = 0;
    // One attachment per item per frame: the next one's edit must see this one applied.
    let mut done: Vec<String> = Vec::new();
    while k < state.copying.len() {
        if done.contains(&state.copying[k].0) {
            k += 1;
            continue;
        }
        let Some(result) = state.copying[k].2.poll() else {
            k += 1;
            continue;
        };
        let (item_id, source, _) = state.copying.remove(k);
        done.push(item_id.clone());
        let attachment = match result
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            Ok(a) => a,
            Err(e) => {
                let m = format!("Could not attach {}: {e}", source.display());
                warn!("{m}");
                status.message = Some((m, true));
                continue;
            }
        };
        let Some(before) = scene.case().item(&item_id).cloned() else {
            status.message = Some((
                format!(
                    "{item_id} was deleted before {} was attached; the copy stays in the evidence store",
                    source.display()
                ),
                true,
            ));
            continue;
        };
        if before
            .attachments
            .iter()
            .any(|a| a.sha256 == attachment.sha256)
        {
            status.message = Some((
                format!(
                    "{} is already attached to {item_id} (same SHA-256).",
                    attachment.original_name
                ),
                false,
            ));
            continue;
        }
        let mut after = before.clone();
        after.modified_by = attachment.added_by.clone();
        after.modified_at = attachment.added_at;
        after.attachments.push(attachment.clone());
        status.message = Some((
            format!(
                "Attached {} ({} bytes, SHA-256 {}…) to {item_id}",
                attachment.original_name,
                attachment.size_bytes,
                &attachment.sha256[..12]
            ),
            false,
        ));
        commands.0.push(EditCommand::apply(Edit::ReplaceItem {
            before: Box::new(before),
            after: Box::new(after),
        }));
    }
}
