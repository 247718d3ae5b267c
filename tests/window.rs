//! Tier 3, in a real window: the app runs under a virtual X display (Xvfb) and real input
//! events (xdotool) reach it. Checks that scrolling over a panel never zooms the 3D view,
//! while scrolling over the view does. Skips loudly without Xvfb/xdotool unless
//! LOCUS_REQUIRE_RENDER=1 (CI).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn xdotool(display: &str, args: &[&str]) {
    let status = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .expect("xdotool runs");
    assert!(status.success(), "xdotool {args:?}");
}

/// Lines the app printed within `wait`.
fn drain(rx: &mpsc::Receiver<String>, wait: Duration) -> Vec<String> {
    let end = Instant::now() + wait;
    let mut lines = Vec::new();
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(l) => lines.push(l),
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    lines
}

#[test]
fn scrolling_a_panel_never_zooms_the_view() {
    if !(have("Xvfb") && have("xdotool")) {
        assert!(
            std::env::var("LOCUS_REQUIRE_RENDER").as_deref() != Ok("1"),
            "Xvfb and xdotool are required (LOCUS_REQUIRE_RENDER=1)"
        );
        eprintln!("\n*** SKIPPED window test: Xvfb or xdotool not installed ***\n");
        return;
    }
    let display = format!(":{}", 90 + std::process::id() % 100);
    let _xvfb = Killed(
        Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1600x1000x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts"),
    );
    std::thread::sleep(Duration::from_millis(800));
    let mut app = Killed(
        Command::new(assert_cmd::cargo::cargo_bin("locus"))
            .args(["open"])
            .arg(common::demo_case())
            .arg("--report-camera")
            .env("DISPLAY", &display)
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("locus starts"),
    );
    let (tx, rx) = mpsc::channel();
    let stdout = app.0.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut started = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line == "ready" => {
                started.push(line);
                break;
            }
            Ok(line) => started.push(line),
            Err(_) => break,
        }
    }
    if !started.iter().any(|l| l == "ready") {
        assert!(
            std::env::var("LOCUS_REQUIRE_RENDER").as_deref() != Ok("1"),
            "the app never showed a frame: {started:?}"
        );
        eprintln!(
            "\n*** SKIPPED window test: the app could not open a window here ({started:?}) ***\n"
        );
        return;
    }
    // Let the first camera settling pass.
    drain(&rx, Duration::from_secs(2));

    // Over the evidence list (left panel): the list scrolls, the camera must not move.
    xdotool(&display, &["mousemove", "120", "450"]);
    for _ in 0..6 {
        xdotool(&display, &["click", "5"]);
    }
    let over_panel = drain(&rx, Duration::from_secs(4));
    assert!(
        !over_panel.iter().any(|l| l.starts_with("camera")),
        "scrolling the panel moved the camera: {over_panel:?}"
    );

    // Over the 3D view: the wheel zooms.
    xdotool(&display, &["mousemove", "900", "450"]);
    for _ in 0..3 {
        xdotool(&display, &["click", "4"]);
    }
    let over_view = drain(&rx, Duration::from_secs(6));
    assert!(
        over_view.iter().any(|l| l.starts_with("camera radius=")),
        "the wheel over the view did not zoom: {over_view:?}"
    );
}
