//! Where things are on Earth, in f64 throughout.
//!
//! `geodesy` converts WGS84 geodetic ↔ ECEF ↔ local ENU and maps ENU to the view's axes;
//! `crs` turns projected coordinates (UTM, Lambert conic, …) into geodetic positions;
//! `placement` maps a model's own coordinates into the case's ENU frame. Depends on nothing
//! else in the crate (the `las` crate's header types only, for a LAS file's declared CRS).

pub mod crs;
pub mod geodesy;
pub mod placement;
