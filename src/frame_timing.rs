//! Diagnostics of the running window: `locus open --measure-frames N` (time from process start
//! to the first rendered frame, to the first frame showing the case and to its surface index;
//! mean frame time) and `--report-camera` (camera moves on stdout, for automated UI tests).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bevy::app::AppExit;
use bevy::diagnostic::FrameCount;
use bevy::prelude::*;

use crate::case_scene::CaseScene;
use crate::ui::loading::Loading;

static PROCESS_START: OnceLock<Instant> = OnceLock::new();

pub fn mark_process_start() {
    let _ = PROCESS_START.set(Instant::now());
}

const WARMUP: u32 = 60;

#[derive(Resource)]
struct Measure {
    frames: u32,
    first_frame: Option<Duration>,
    /// When opening the case named on the command line started (the window already up).
    open_started: Option<Instant>,
    /// The frame whose update first had the opened case's site spawned.
    case_frame: Option<u32>,
    /// From the start of opening to the first frame showing the case.
    open_to_frame: Option<Duration>,
    case_shown: Option<Duration>,
    surface_ready: Option<Duration>,
    started: Option<Instant>,
}

pub fn plugin(app: &mut App, frames: u32, orbit: bool) {
    if orbit {
        app.add_systems(Update, turn_camera);
    }
    app.insert_resource(Measure {
        frames: frames.max(1),
        first_frame: None,
        open_started: None,
        case_frame: None,
        open_to_frame: None,
        case_shown: None,
        surface_ready: None,
        started: None,
    })
    .add_systems(Last, measure);
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("–".into(), |d| {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    })
}

fn measure(
    count: Res<FrameCount>,
    loading: Res<Loading>,
    scene: Res<CaseScene>,
    parts: Query<
        (),
        Or<(
            With<crate::view::scene::ModelPart>,
            With<crate::view::points::PointPart>,
        )>,
    >,
    mut m: ResMut<Measure>,
    mut exit: MessageWriter<AppExit>,
) {
    let since_start = PROCESS_START
        .get()
        .map(Instant::elapsed)
        .unwrap_or_default();
    // Frame k's update is followed by its render; by frame k + 2's end frame k was shown.
    if count.0 == 2 && m.first_frame.is_none() {
        m.first_frame = Some(since_start);
    }
    if m.open_started.is_none() {
        m.open_started = loading.started();
    }
    let spawned = !parts.is_empty() || scene.case().models.is_empty();
    if m.case_frame.is_none() && !loading.busy() && spawned {
        m.case_frame = Some(count.0);
    }
    let Some(case_frame) = m.case_frame else {
        return;
    };
    if count.0 == case_frame + 2 {
        m.case_shown = Some(since_start);
        m.open_to_frame = m.open_started.map(|t| t.elapsed());
    }
    if m.surface_ready.is_none() && scene.site().surface_ready {
        m.surface_ready = Some(since_start);
    }
    if count.0 == case_frame + WARMUP {
        m.started = Some(Instant::now());
    }
    if count.0 == case_frame + WARMUP + m.frames {
        let elapsed = m.started.map(|s| s.elapsed()).unwrap_or_default();
        let mean_ms = elapsed.as_secs_f64() * 1000.0 / m.frames as f64;
        println!(
            "first frame after {}; case shown after {} ({} from the start of opening it to the frame showing it); surface indexed after {}; mean frame time {:.1} ms ({:.1} FPS) over {} frames",
            ms(m.first_frame),
            ms(m.case_shown),
            ms(m.open_to_frame),
            ms(m.surface_ready),
            mean_ms,
            1000.0 / mean_ms,
            m.frames
        );
        if let Some(line) = gltf_comparison(&scene, m.open_to_frame) {
            println!("{line}");
        }
        exit.write(AppExit::Success);
    }
}

/// `--measure-orbit`: half a degree of turn per frame round the view centre.
fn turn_camera(
    mut cameras: Query<
        &mut crate::third_party::orbit::OrbitCamera,
        With<crate::view::camera::MainCamera>,
    >,
) {
    for mut orbit in &mut cameras {
        let yaw = orbit.yaw.unwrap_or(0.0) + 0.5f32.to_radians();
        orbit.yaw = Some(yaw);
        orbit.target_yaw = yaw;
        orbit.force_update = true;
    }
}

/// The opened glTF/GLB files parsed by the `gltf` crate alone (`gltf::import`: JSON, buffers,
/// images decoded), in this process after the measured frames, against the time from the start
/// of opening to the frame showing them: the ratio the project's goal is stated in.
fn gltf_comparison(scene: &CaseScene, open_to_frame: Option<Duration>) -> Option<String> {
    let paths: Vec<&std::path::Path> = scene
        .site()
        .models
        .iter()
        .map(|om| om.path.as_path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("glb") || e.eq_ignore_ascii_case("gltf"))
        })
        .collect();
    if paths.is_empty() {
        return None;
    }
    let mut runs: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            for p in &paths {
                // Only its time matters here; a file it cannot read still took that long.
                let _ = gltf::import(p);
            }
            t.elapsed()
        })
        .collect();
    runs.sort();
    let gltf = runs[1];
    let ratio = open_to_frame.map_or("–".into(), |o| {
        format!("{:.1}×", o.as_secs_f64() / gltf.as_secs_f64())
    });
    Some(format!(
        "gltf::import of the same {} file(s) in this process: {} (median of 3); opening to the frame showing it: {ratio} that",
        paths.len(),
        ms(Some(gltf))
    ))
}

/// Prints "ready" once frames are being shown, then one line per camera move.
pub fn camera_report_plugin(app: &mut App) {
    REPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
    app.add_systems(Last, (report_camera, report_case));
}

/// Set by `--report-camera`: the window prints what automated tests wait for.
static REPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Prints one line on stdout when the window reports for automated tests.
pub fn report_line(line: &str) {
    use std::io::Write as _;
    if REPORTING.load(std::sync::atomic::Ordering::Relaxed) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// "case TITLE" when a case is shown, "surface indexed" once clicks can use it.
fn report_case(scene: Option<Res<CaseScene>>, mut indexed: Local<bool>) {
    let Some(scene) = scene else { return };
    if scene.is_changed() {
        *indexed = false;
        if scene.placeholder().is_none() {
            report_line(&format!("case {}", scene.title()));
        }
    }
    if !*indexed && scene.placeholder().is_none() && scene.site().surface_ready {
        *indexed = true;
        report_line("surface indexed");
    }
}

fn report_camera(
    count: Res<FrameCount>,
    loading: Res<Loading>,
    mut ready_at: Local<Option<u32>>,
    cameras: Query<&crate::third_party::orbit::OrbitCamera, With<crate::view::camera::MainCamera>>,
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
    // Ready: ten frames after the case named on the command line is open.
    if ready_at.is_none() && !loading.busy() {
        *ready_at = Some(count.0 + 10);
    }
    let ready = ready_at.is_some_and(|r| count.0 >= r);
    if *ready_at == Some(count.0) {
        let _ = writeln!(out, "ready");
    }
    if ready && last.is_some_and(|l| l != now) {
        let _ = writeln!(
            out,
            "camera radius={:.3} yaw={:.4} pitch={:.4} focus={:.2},{:.2},{:.2}",
            now.0, now.1, now.2, now.3.x, now.3.y, now.3.z
        );
    }
    let _ = out.flush();
    *last = Some(now);
}
