//! Hidden commands for tests, not for users: `debug-stress-edits` applies and saves edits in a
//! loop so that the crash-safety test (`tests/crash.rs`) can kill it at random moments.

use std::path::Path;

use anyhow::Result;
use locus_core::case::edit::{Edit, next_id};
use locus_core::case::session::Session;
use locus_core::case::{Category, EvidenceItem, Location};

/// Applies `count` new items one edit at a time, saving every `save_every` and printing
/// "saved N" after each save.
pub fn run_stress_edits(case: &Path, count: usize, save_every: usize) -> Result<()> {
    let (mut session, recovery) = Session::open(case, "stress-test")?;
    if let Some(r) = recovery {
        session.accept_recovery(r);
        session.save()?;
    }
    let save_every = save_every.max(1);
    for n in 0..count {
        let id = next_id(session.case(), "S");
        let item = EvidenceItem {
            description: "x".repeat(200),
            created_by: "stress-test".into(),
            ..EvidenceItem::new(
                id.clone(),
                format!("stress item {n}"),
                Category::Other,
                Location::Enu {
                    east_m: n as f64,
                    north_m: 0.0,
                    up_m: Some(0.0),
                },
                1.0,
            )
        };
        let index = session.case().evidence.len();
        session.apply(Edit::AddItem {
            index,
            item: Box::new(item),
        })?;
        if (n + 1) % save_every == 0 {
            session.save()?;
            println!("saved {}", session.case().evidence.len());
        }
    }
    Ok(())
}
