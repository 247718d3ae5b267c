//! Duplicate records: the same place within `DUPLICATE_DISTANCE_M`, the same time and the
//! same sources (in any order). Reported, never merged.

use crate::case::Source;
use crate::time::EvidenceTime;

use super::M_PER_DEG;

pub(super) fn approx_distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dn = (a.0 - b.0) * M_PER_DEG;
    let de = (a.1 - b.1) * M_PER_DEG * ((a.0 + b.0) * 0.5).to_radians().cos();
    (dn * dn + de * de).sqrt()
}

/// The sources a duplicate is compared on: (url, description) pairs, in any order.
pub(super) fn source_set(sources: &[Source]) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = sources
        .iter()
        .map(|s| (s.url.as_deref().unwrap_or(""), s.description.as_str()))
        .collect();
    v.sort_unstable();
    v
}

pub(super) fn duplicate_hash(time: Option<&EvidenceTime>, sources: &[Source]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if let Some(t) = time {
        let (s, e) = t.nominal();
        (
            s.timestamp_micros(),
            e.timestamp_micros(),
            t.precision as u8,
        )
            .hash(&mut h);
    }
    source_set(sources).hash(&mut h);
    h.finish()
}
