//! `locus open --measure-frames N`: time from process start to the first rendered frame and
//! the mean frame time of the window, measured in the running app (not a timed test).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bevy::app::AppExit;
use bevy::diagnostic::FrameCount;
use bevy::prelude::*;

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

pub fn mark_process_start() {
    let _ = PROCESS_START.set(Instant::now());
}

const WARMUP: u32 = 60;

#[derive(Resource)]
struct Measure {
    frames: u32,
    first_frame: Option<Duration>,
    started: Option<Instant>,
}

pub fn plugin(app: &mut App, frames: u32) {
    app.insert_resource(Measure {
        frames: frames.max(1),
        first_frame: None,
        started: None,
    })
    .add_systems(Last, measure);
}

fn measure(count: Res<FrameCount>, mut m: ResMut<Measure>, mut exit: MessageWriter<AppExit>) {
    let since_start = PROCESS_START
        .get()
        .map(Instant::elapsed)
        .unwrap_or_default();
    // Frame 0's update is followed by its render; by frame 2's end the first frame was shown.
    if count.0 == 2 && m.first_frame.is_none() {
        m.first_frame = Some(since_start);
    }
    if count.0 == WARMUP {
        m.started = Some(Instant::now());
    }
    if count.0 == WARMUP + m.frames {
        let elapsed = m.started.map(|s| s.elapsed()).unwrap_or_default();
        let mean_ms = elapsed.as_secs_f64() * 1000.0 / m.frames as f64;
        println!(
            "first frame after {:.0} ms; mean frame time {:.1} ms ({:.1} FPS) over {} frames",
            m.first_frame.unwrap_or_default().as_secs_f64() * 1000.0,
            mean_ms,
            1000.0 / mean_ms,
            m.frames
        );
        exit.write(AppExit::Success);
    }
}
