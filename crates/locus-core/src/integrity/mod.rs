//! Proving evidence unaltered: atomic writes and streaming SHA-256 (`fsio`), originals copied
//! into the case's evidence store with their hash checked (`attach`), and sealed `.locus`
//! packages with signed manifests and verification (`package`). Depends on `case` (the case
//! file and audit log a package seals).

pub mod attach;
pub mod fsio;
pub mod package;
pub mod trust;
