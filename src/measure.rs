//! Diagnostics of the running window: `locus open --measure-frames N` (time from process start
//! to the first rendered frame, mean frame time) and `--report-camera` (camera moves on stdout,
//! for automated UI tests).

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

/// Prints "ready" once frames are being shown, then one line per camera move.
pub fn camera_report_plugin(app: &mut App) {
    app.add_systems(Last, report_camera);
}

fn report_camera(
    count: Res<FrameCount>,
    cameras: Query<&crate::third_party::orbit::OrbitCamera, With<crate::camera::MainCamera>>,
    mut last: Local<Option<(f32, f32, f32, Vec3)>>,
) {
    use std::io::Write as _;
    let Ok(orbit) = cameras.single() else { return };
    let now = (
        orbit.radius.unwrap_or(0.0),
        orbit.yaw.unwrap_or(0.0),
        orbit.pitch.unwrap_or(0.0),
        orbit.focus,
    );
    let mut out = std::io::stdout().lock();
    if count.0 == 10 {
        let _ = writeln!(out, "ready");
    }
    if count.0 >= 10 && last.is_some_and(|l| l != now) {
        let _ = writeln!(
            out,
            "camera radius={:.3} yaw={:.4} pitch={:.4} focus={:.2},{:.2},{:.2}",
            now.0, now.1, now.2, now.3.x, now.3.y, now.3.z
        );
    }
    let _ = out.flush();
    *last = Some(now);
}
