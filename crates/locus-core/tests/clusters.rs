//! Space-time clusters (ST-DBSCAN) on planted clusters with noise: every planted cluster is
//! found whole, the noise stays out, and the result does not depend on the order of the items.

use chrono::{Duration, TimeZone, Utc};
use locus_core::analysis::clusters::{ClusterParams, st_dbscan};
use locus_core::case::{Case, Category, EvidenceItem, Location};
use locus_core::time::{EvidenceTime, Precision};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Three clusters of 40 events (within 80 m and 30 minutes of their centre), and 400 events
/// spread over 30 km × 30 km and 30 days. Returns the case and which cluster each item was
/// planted in (None: noise).
fn planted() -> (Case, Vec<Option<usize>>) {
    let mut rng = Lcg(42);
    let mut case = Case::in_memory("planted", None);
    let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    let centres = [
        (1_000.0, 2_000.0, 3.0),
        (-8_000.0, 5_000.0, 10.5),
        (1_150.0, 2_100.0, 20.0), // near the first in space, ten days later
    ];
    let mut truth = Vec::new();
    let push = |case: &mut Case, e: f64, n: f64, t: chrono::DateTime<Utc>| {
        let id = format!("E{}", case.evidence.len() + 1);
        let mut item = EvidenceItem::new(
            id,
            "event",
            Category::Other,
            Location::Enu {
                east_m: e,
                north_m: n,
                up_m: Some(0.0),
            },
            10.0,
        );
        item.time = Some(EvidenceTime::instant(t, Precision::Minute));
        case.evidence.push(item);
    };
    for (c, &(e, n, day)) in centres.iter().enumerate() {
        for _ in 0..40 {
            let r = 80.0 * rng.next().sqrt();
            let a = rng.next() * std::f64::consts::TAU;
            let t = t0
                + Duration::minutes((day * 1440.0) as i64)
                + Duration::seconds(((rng.next() - 0.5) * 3600.0) as i64);
            push(&mut case, e + r * a.cos(), n + r * a.sin(), t);
            truth.push(Some(c));
        }
    }
    for _ in 0..400 {
        let t = t0 + Duration::seconds((rng.next() * 30.0 * 86_400.0) as i64);
        push(
            &mut case,
            (rng.next() - 0.5) * 30_000.0,
            (rng.next() - 0.5) * 30_000.0,
            t,
        );
        truth.push(None);
    }
    (case, truth)
}

const PARAMS: ClusterParams = ClusterParams {
    eps_m: 150.0,
    eps_min: 45.0,
    min_items: 5,
};

#[test]
fn planted_clusters_are_found_and_noise_left_out() {
    let (case, truth) = planted();
    let found = st_dbscan(&case, PARAMS).unwrap();
    let index = |id: &str| id[1..].parse::<usize>().unwrap() - 1;
    eprintln!(
        "{} clusters: {:?}; noise {}",
        found.clusters.len(),
        found
            .clusters
            .iter()
            .map(|c| c.members.len())
            .collect::<Vec<_>>(),
        found.noise
    );
    assert_eq!(
        found.clusters.len(),
        3,
        "the two near in space but ten days apart stay two"
    );
    for (k, c) in found.clusters.iter().enumerate() {
        let planted: Vec<Option<usize>> = c.members.iter().map(|m| truth[index(m)]).collect();
        let from_k = planted.iter().filter(|p| **p == Some(k)).count();
        assert!(
            from_k >= 38,
            "cluster {k}: {from_k} of its 40 planted members"
        );
        let strays = planted.iter().filter(|p| p.is_none()).count();
        assert!(strays <= 1, "cluster {k}: {strays} noise items");
        assert!(c.radius_m < 150.0, "{}", c.radius_m);
        assert!((c.time_to - c.time_from).num_minutes() <= 60);
    }
    assert!(found.noise >= 395, "{}", found.noise);
}

#[test]
fn the_same_items_in_another_order_give_the_same_clusters() {
    let (case, _) = planted();
    let mut reversed = case.clone();
    reversed.evidence.reverse();
    let sets = |c: &Case| {
        let mut s: Vec<Vec<String>> = st_dbscan(c, PARAMS)
            .unwrap()
            .clusters
            .into_iter()
            .map(|mut k| {
                k.members.sort();
                k.members
            })
            .collect();
        s.sort();
        s
    };
    assert_eq!(sets(&case), sets(&reversed));
    // And twice the same: the same numbers.
    let a = st_dbscan(&case, PARAMS).unwrap();
    let b = st_dbscan(&case, PARAMS).unwrap();
    assert_eq!(
        a.clusters.iter().map(|c| &c.members).collect::<Vec<_>>(),
        b.clusters.iter().map(|c| &c.members).collect::<Vec<_>>()
    );
}

#[test]
fn items_without_time_or_place_are_counted_not_clustered() {
    let (mut case, _) = planted();
    case.evidence[0].time = None;
    case.evidence[1].position.location = Location::Unknown;
    let found = st_dbscan(&case, PARAMS).unwrap();
    assert_eq!((found.without_time, found.without_place), (1, 1));
    assert!(
        ClusterParams {
            min_items: 1,
            ..PARAMS
        }
        .validate()
        .is_err()
    );
}
