//! Locus core: everything that decides a fact shown in court, with no Bevy and no GPU.
//!
//! The case model and its file format, geodesy (WGS84 ↔ ECEF ↔ local ENU in f64), time with
//! precision and time zones, integrity (SHA-256, sealed packages), model reading, surface
//! heights and the timeline's answer to "what is shown at time T". A court expert can review
//! this crate without reading any rendering code. `docs/ARCHITECTURE.md` lists every module.

pub mod analysis;
pub mod case;
pub mod events;
pub mod formats;
pub mod fuzz;
pub mod geo;
pub mod inspect;
pub mod intake;
pub mod integrity;
pub mod progress;
pub mod report;
pub mod site;
pub mod time;

pub use case::file::{CaseError, LoadedCase, load_case, save_case};
pub use case::{Case, Category, EvidenceItem, FORMAT_VERSION};
pub use geo::geodesy::{Enu, EnuFrame, Geodetic};
