//! Locus: reconstruct crime scenes and atrocity sites in 3D so that courts can follow events.
//!
//! `main` only parses the command line and hands over: `cli` runs the commands that need no
//! window, `app` composes the Bevy plugins for the viewer and for offscreen renders.

// Bevy systems take their data as parameters; many parameters are the norm, not a smell.
#![allow(clippy::too_many_arguments, clippy::type_complexity)]

mod annotations;
mod app;
mod background;
mod camera;
mod case_scene;
mod cli;
mod cli_events;
mod cli_package;
mod cli_sight;
mod cli_story;
mod editing;
mod markers;
mod measure;
mod overlay;
mod points;
mod present;
mod render;
mod scene;
mod settings;
mod story;
mod third_party;
mod timeline;
mod ui;

fn main() -> std::process::ExitCode {
    measure::mark_process_start();
    cli::main()
}
