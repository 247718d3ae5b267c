//! Keyboard shortcuts of the window (F1 lists them): tools, time, view, bookmarks, and with
//! Ctrl the editing and case keys. None reacts while a text field has the keyboard.

use bevy::prelude::*;

use super::{PendingActions, UiAction, UiState, toolbar};
use crate::case_scene::CaseScene;
use crate::editing::{EditCommand, EditCommands, Tool, ToolState};
use crate::view::camera::{CameraCommand, FlyMode};
use crate::view::clock::{TimeCommand, TimeCommands, TimeControl};
use crate::view::markers::Selection;
use crate::view::scene::ViewSettings;

pub(super) fn keyboard_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    fly: Res<FlyMode>,
    scene: Option<Res<CaseScene>>,
    mut selection: ResMut<Selection>,
    mut settings: ResMut<ViewSettings>,
    mut time_commands: ResMut<TimeCommands>,
    mut pending: ResMut<PendingActions>,
    mut ui_state: ResMut<UiState>,
    control: Res<TimeControl>,
    mut tools: ResMut<ToolState>,
    mut edit_commands: ResMut<EditCommands>,
) {
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    if ctrl {
        // Editing keys; nothing else reacts while Ctrl is held.
        if keys.just_pressed(KeyCode::KeyZ) {
            edit_commands.0.push(if shift {
                EditCommand::Redo
            } else {
                EditCommand::Undo
            });
        }
        if keys.just_pressed(KeyCode::KeyY) {
            edit_commands.0.push(EditCommand::Redo);
        }
        if keys.just_pressed(KeyCode::KeyS) {
            edit_commands.0.push(EditCommand::Save);
        }
        for (key, action) in [
            (KeyCode::KeyN, UiAction::NewCase(vec![])),
            (KeyCode::KeyO, UiAction::ShowOpen),
            (KeyCode::KeyM, UiAction::AddModel),
        ] {
            if keys.just_pressed(key) {
                pending.0.push(action);
            }
        }
        return;
    }
    if keys.just_pressed(KeyCode::Delete) {
        edit_commands.0.push(EditCommand::DeleteSelected);
    }
    if !fly.active {
        let tool_keys = [(KeyCode::KeyP, Tool::Place), (KeyCode::KeyO, Tool::Sight)]
            .into_iter()
            .chain(toolbar::MEASURE_TOOLS.iter().map(|(kind, _, key)| {
                let code = match *key {
                    "M" => KeyCode::KeyM,
                    "N" => KeyCode::KeyN,
                    "V" => KeyCode::KeyV,
                    "R" => KeyCode::KeyR,
                    _ => KeyCode::KeyA,
                };
                (code, Tool::Measure(*kind))
            }));
        for (code, tool) in tool_keys {
            if keys.just_pressed(code) {
                let next = if tools.tool == tool {
                    Tool::Select
                } else {
                    tool
                };
                tools.set_tool(next);
            }
        }
        if keys.just_pressed(KeyCode::Backspace) {
            tools.points.pop();
        }
        if keys.just_pressed(KeyCode::Enter) {
            pending.0.push(UiAction::Edit(EditCommand::FinishTool));
        }
    }
    let mut act = |a: UiAction| pending.0.push(a);
    if keys.just_pressed(KeyCode::Space) {
        time_commands.push(TimeCommand::TogglePlay);
    }
    if !fly.active {
        if keys.just_pressed(KeyCode::ArrowRight) {
            time_commands.push(TimeCommand::StepNext);
        }
        if keys.just_pressed(KeyCode::ArrowLeft) {
            time_commands.push(TimeCommand::StepPrevious);
        }
    }
    if keys.just_pressed(KeyCode::Home) {
        time_commands.push(TimeCommand::ToStart);
    }
    if keys.just_pressed(KeyCode::End) {
        time_commands.push(TimeCommand::ToEnd);
    }
    if keys.just_pressed(KeyCode::KeyT) {
        time_commands.push(TimeCommand::SetShowAll(!control.show_all));
    }
    if keys.just_pressed(KeyCode::KeyL) {
        settings.labels = !settings.labels;
    }
    if keys.just_pressed(KeyCode::KeyU) {
        settings.lit = !settings.lit;
    }
    if keys.just_pressed(KeyCode::KeyH) {
        act(UiAction::Camera(CameraCommand::Home));
    }
    if keys.just_pressed(KeyCode::KeyF)
        && let Some(t) = selection.selected
    {
        act(UiAction::Focus(t));
    }
    if keys.just_pressed(KeyCode::Escape) {
        // First leave a tool (dropping its unfinished points), then clear the selection.
        if tools.tool != Tool::Select {
            tools.set_tool(Tool::Select);
        } else {
            selection.select(None);
        }
    }
    if keys.just_pressed(KeyCode::F1) {
        ui_state.show_help = !ui_state.show_help;
    }
    let digits = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
        KeyCode::Digit6,
        KeyCode::Digit7,
        KeyCode::Digit8,
        KeyCode::Digit9,
    ];
    let bookmarks = scene.map(|s| s.case().bookmarks.len()).unwrap_or(0);
    for (i, k) in digits.iter().enumerate() {
        if keys.just_pressed(*k) && i < bookmarks {
            act(UiAction::Camera(CameraCommand::Bookmark(i)));
        }
    }
}
