//! Long work (opening a case, indexing its surface, hashing attachments) on threads of its
//! own. Not on Bevy's task pools: on a 2-core machine the async compute pool is one thread,
//! and Bevy compiles render pipelines there; a long job on it holds back the window's first
//! pictures (seen: the panels appeared only once the surface index was done).

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};

pub struct Background<T> {
    /// In a mutex only so that the handle can live in a Bevy resource (which must be `Sync`).
    result: Mutex<Receiver<T>>,
}

impl<T: Send + 'static> Background<T> {
    /// Starts `work` on a new thread named `name`. Dropping the handle discards the result
    /// (the thread finishes its current work and exits).
    pub fn spawn(name: &str, work: impl FnOnce() -> T + Send + 'static) -> Self {
        let (tx, result) = sync_channel(1);
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let _ = tx.send(work());
            })
            .expect("the system can start a thread");
        Background {
            result: Mutex::new(result),
        }
    }

    /// The result once the work is done; `Some(Err)` when its thread died without one (a
    /// bug: it panicked).
    pub fn poll(&self) -> Option<Result<T, String>> {
        let result = self.result.lock().unwrap_or_else(|e| e.into_inner());
        match result.try_recv() {
            Ok(v) => Some(Ok(v)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                Some(Err("the work stopped unexpectedly (see the log)".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_and_a_panic_is_reported() {
        let ok = Background::spawn("test", || 6 * 7);
        let failed = Background::spawn("test", || -> u32 { panic!("on purpose") });
        let wait = |b: &Background<u32>| loop {
            if let Some(r) = b.poll() {
                return r;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(wait(&ok), Ok(42));
        assert!(wait(&failed).is_err());
    }
}
