//! The case: what `case.json` holds and everything that changes it.
//!
//! `model` is the plain serde data (origin, models, evidence items, tracks, bookmarks,
//! measurements); `file` reads and atomically writes it; every change is an `edit::Edit`,
//! applied in a `session` that writes it to the hash-chained `audit` log first. `storyline`
//! (the presentation) and `timeline` (what is shown at a moment) are read from the same data.
//! May depend on `geo` and `time`, and on `integrity::fsio` for atomic writes; nothing here
//! reads model files or renders.

pub mod audit;
pub mod edit;
pub mod facets;
pub mod file;
pub mod lock;
mod model;
pub mod reframe;
pub mod section;
pub mod session;
pub mod storyline;
pub mod timeline;

pub use model::*;
