//! Facts computed from the models: the surface index (ray casts and heights over meshes and
//! point clouds), lines of sight, measurements with propagated uncertainty, and surfaces
//! derived from point clouds. Depends on `geo`, `case` (measurement records) and `formats`
//! (model data); nothing here writes the case.

pub mod bloodstain;
pub mod camera_match;
pub mod derive_surface;
pub mod measure;
pub mod sight;
pub mod surface;
pub mod trajectory;
