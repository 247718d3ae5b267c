//! Progress and cancellation for long loads, shared between a worker thread and the UI:
//! the worker reports a fraction and what it is doing, and checks whether it was cancelled at
//! each step (between models, between stages, between chunks of a point cloud).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

#[derive(Debug, Default)]
pub struct Progress {
    fraction_bits: AtomicU32,
    message: Mutex<String>,
    cancelled: AtomicBool,
}

/// The user cancelled the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

impl Progress {
    /// Reports how far along (0–1) and what is being done; fails once cancelled.
    pub fn step(&self, fraction: f32, message: impl Into<String>) -> Result<(), Cancelled> {
        if let Ok(mut m) = self.message.lock() {
            *m = message.into();
        }
        self.advance(fraction)
    }

    /// Reports how far along (0–1) without changing what is being done; fails once
    /// cancelled.
    pub fn advance(&self, fraction: f32) -> Result<(), Cancelled> {
        self.fraction_bits
            .store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        self.check()
    }

    pub fn check(&self) -> Result<(), Cancelled> {
        if self.cancelled.load(Ordering::Relaxed) {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    pub fn fraction(&self) -> f32 {
        f32::from_bits(self.fraction_bits.load(Ordering::Relaxed))
    }

    pub fn message(&self) -> String {
        self.message.lock().map(|m| m.clone()).unwrap_or_default()
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}
