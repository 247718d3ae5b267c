//! Locus: reconstruct crime scenes and atrocity sites in 3D so that courts can follow events.
//!
//! `main` only parses the command line and hands over: `cli` runs the commands that need no
//! window, `app` composes the Bevy plugins for the viewer and for offscreen renders.

// Bevy systems take their data as parameters; many parameters are the norm, not a smell.
#![allow(clippy::too_many_arguments, clippy::type_complexity)]

mod app;
mod background;
mod case_scene;
mod cli;
mod demo;
mod editing;
mod frame_timing;
mod paths;
mod present;
mod render;
mod screenshot;
mod settings;
mod third_party;
mod ui;
mod view;

fn main() -> std::process::ExitCode {
    frame_timing::mark_process_start();
    cli::main()
}
