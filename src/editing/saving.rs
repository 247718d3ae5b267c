//! Saving the case: Ctrl+S, autosave a few seconds after the last change, and on exit. Saves
//! are atomic and record the audit log's head; a failed save says why and keeps the edits.

use bevy::prelude::*;
use chrono::Utc;

use crate::case_scene::CaseEdits;
use crate::settings::Settings;

use super::{Drag, EditStatus};

pub(super) fn save(scene: &mut CaseEdits, status: &mut EditStatus) {
    match scene.save() {
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
        && now - last.1 >= settings.autosave_s + retry
    {
        save(&mut scene, &mut status);
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
