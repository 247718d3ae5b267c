//! Wiring of third-party plugins, one file each, so the rest of the code does not care
//! which crate provides a camera controller or the UI toolkit.

pub mod egui;
pub mod orbit;
