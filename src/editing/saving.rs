//! Saving the case: Ctrl+S, autosave a few seconds after the last change, and on exit. Saves
//! are atomic and record the audit log's head; a failed save says why and keeps the edits.

use bevy::prelude::*;
use chrono::Utc;

use crate::case_scene::CaseEdits;
use crate::settings::Settings;

use super::{Drag, EditStatus};

/// Cases with more items than this are saved (Ctrl+S, autosave) on another thread: writing
/// them takes long enough to be seen as a hitch (about a second at 200,000 items).
pub const BACKGROUND_SAVE_ITEMS: usize = 5_000;

pub(super) fn save(scene: &mut CaseEdits, status: &mut EditStatus) {
    let result = scene.save();
    saved(scene, status, result);
}

/// Ctrl+S and autosave: a large case is written from a copy on another thread (`autosave`
/// polls for the result each frame), a small one at once. The save on exit is always at once.
pub(super) fn save_soon(scene: &mut CaseEdits, status: &mut EditStatus) {
    if scene.case().evidence.len() > BACKGROUND_SAVE_ITEMS {
        if let Err(e) = scene.save_in_background() {
            saved(scene, status, Err(e));
        }
    } else {
        save(scene, status);
    }
}

/// Reports how a save went (in the status line and, failed, as an error to keep).
fn saved(
    scene: &CaseEdits,
    status: &mut EditStatus,
    result: Result<(), locus_core::case::session::SessionError>,
) {
    match result {
        Ok(()) => {
            status.last_saved = Some(Utc::now());
            status.save_error = None;
        }
        Err(e) => {
            let m = format!(
                "Could not save {}: {e}. Your edits are kept in the audit log and will be offered for recovery.",
                scene.loaded().file.display()
            );
            status.save_error = Some(m.clone());
            status.error(m);
        }
    }
}

/// Writes the case a few seconds after the last change (never in the middle of a drag).
pub(super) fn autosave(
    mut scene: CaseEdits,
    settings: Res<Settings>,
    drag: Res<Drag>,
    time: Res<Time<Real>>,
    mut status: ResMut<EditStatus>,
    mut last: Local<(u64, f64)>,
) {
    let now = time.elapsed_secs_f64();
    if let Some(result) = scene.poll_background_save() {
        saved(&scene, &mut status, result);
    }
    if scene.revision() != last.0 {
        *last = (scene.revision(), now);
    }
    let retry = if status.save_error.is_some() {
        10.0
    } else {
        0.0
    };
    if scene.editable()
        && scene.session().is_dirty()
        && drag.item.is_none()
        && !scene.session().saving_in_background()
        && now - last.1 >= settings.autosave_s + retry
    {
        save_soon(&mut scene, &mut status);
        last.1 = now;
    }
}

/// Closing the window saves what is unsaved (the audit log has it anyway).
pub(super) fn save_on_exit(
    mut exit: MessageReader<AppExit>,
    mut scene: CaseEdits,
    mut status: ResMut<EditStatus>,
) {
    if exit.read().next().is_some() && scene.editable() && scene.session().is_dirty() {
        save(&mut scene, &mut status);
        if let Some(e) = &status.save_error {
            eprintln!("{e}");
        }
    }
}
