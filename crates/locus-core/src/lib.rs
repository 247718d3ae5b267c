//! Locus core: everything that decides a fact shown in court, with no Bevy and no GPU.
//!
//! The case model and its file format, geodesy (WGS84 ↔ ECEF ↔ local ENU in f64), time with
//! precision and time zones, integrity (SHA-256), model reading, surface heights and the
//! timeline's answer to "what is shown at time T". A court expert can review this crate
//! without reading any rendering code.

pub mod attach;
pub mod audit;
pub mod case;
pub mod case_file;
pub mod crs;
pub mod derive_surface;
pub mod edit;
pub mod events;
pub mod fsio;
pub mod geodesy;
pub mod glb;
pub mod gltf_ext;
pub mod inspect;
pub mod measure;
pub mod model;
pub mod model_obj;
pub mod model_ply;
pub mod package;
pub mod placement;
pub mod pointcloud;
pub mod progress;
pub mod report;
pub mod session;
pub mod sight;
pub mod site;
pub mod storyline;
pub mod surface;
pub mod time;
pub mod timeline;

pub use case::{Case, Category, EvidenceItem, FORMAT_VERSION};
pub use case_file::{CaseError, LoadedCase, load_case, save_case};
pub use geodesy::{Enu, EnuFrame, Geodetic};
