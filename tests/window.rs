//! Tier 3, in a real window: the app runs under a virtual X display (Xvfb) and real input
//! events (xdotool) reach it; F12 pictures of the window are checked. Skips loudly without
//! Xvfb/xdotool unless LOCUS_REQUIRE_RENDER=1 (CI).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
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

/// The app in a window of its own virtual display, with private config and data folders.
struct Window {
    display: String,
    lines: mpsc::Receiver<String>,
    /// Every line printed so far, and whether a `wait_for` has taken it.
    seen: std::cell::RefCell<Vec<(String, bool)>>,
    data: PathBuf,
    _app: Killed,
    _xvfb: Killed,
}

impl Window {
    /// Starts `locus ARGS --report-camera`; None (after saying why) when this machine cannot
    /// show a window and CI does not require it.
    fn start(name: &str, home: &Path, args: &[&str]) -> Option<Window> {
        if !(have("Xvfb") && have("xdotool")) {
            assert!(
                std::env::var("LOCUS_REQUIRE_RENDER").as_deref() != Ok("1"),
                "Xvfb and xdotool are required (LOCUS_REQUIRE_RENDER=1)"
            );
            eprintln!("\n*** SKIPPED window test {name}: Xvfb or xdotool not installed ***\n");
            return None;
        }
        // One display per window: tests of this file run in parallel, and a test may open
        // several windows one after another.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let slot = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 8;
        let n = 90 + (std::process::id() % 40) * 8 + slot;
        let display = format!(":{n}");
        let xvfb = Killed(
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
        let data = home.join("data");
        let mut app = Killed(
            Command::new(assert_cmd::cargo::cargo_bin("locus"))
                .args(args)
                .arg("--report-camera")
                .env("DISPLAY", &display)
                .env("LOCUS_DATA_DIR", &data)
                .env("LOCUS_CONFIG_DIR", home.join("config"))
                .env("LOCUS_AUTHOR", "Window Test")
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("locus starts"),
        );
        let (tx, lines) = mpsc::channel();
        let stdout = app.0.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let w = Window {
            display,
            lines,
            seen: Default::default(),
            data,
            _app: app,
            _xvfb: xvfb,
        };
        let started = w.wait_for(|l| l == "ready", Duration::from_secs(90));
        if started.is_none() {
            assert!(
                std::env::var("LOCUS_REQUIRE_RENDER").as_deref() != Ok("1"),
                "the app never showed a frame"
            );
            eprintln!(
                "\n*** SKIPPED window test {name}: the app could not open a window here ***\n"
            );
            return None;
        }
        w.xdotool(&["search", "--name", "Locus", "windowfocus"]);
        Some(w)
    }

    fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool runs");
        assert!(status.success(), "xdotool {args:?}");
    }

    /// A key with Ctrl held long enough for a slow (software-rendered) frame to see both.
    fn ctrl(&self, key: &str) {
        self.xdotool(&["keydown", "ctrl"]);
        std::thread::sleep(Duration::from_millis(300));
        self.xdotool(&["key", key]);
        std::thread::sleep(Duration::from_millis(300));
        self.xdotool(&["keyup", "ctrl"]);
    }

    /// Text typed slowly enough for every key to reach the field it was meant for.
    fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "80", text]);
        std::thread::sleep(Duration::from_millis(400));
    }

    /// The first line the app printed (or prints within `wait`) that `wanted` accepts and no
    /// earlier wait took.
    fn wait_for(&self, wanted: impl Fn(&str) -> bool, wait: Duration) -> Option<String> {
        let end = Instant::now() + wait;
        loop {
            for (line, taken) in self.seen.borrow_mut().iter_mut() {
                if !*taken && wanted(line) {
                    *taken = true;
                    return Some(line.clone());
                }
            }
            let left = end.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.borrow_mut().push((l, false)),
                Err(_) => return None,
            }
        }
    }

    /// Lines printed within `wait`.
    fn drain(&self, wait: Duration) -> Vec<String> {
        let end = Instant::now() + wait;
        let mut lines = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.borrow_mut().push((l.clone(), true));
                    lines.push(l)
                }
                Err(_) => break,
            }
        }
        lines
    }

    /// F12: a picture of the whole window, as the app saved it.
    fn screenshot(&self) -> image::RgbImage {
        self.xdotool(&["key", "F12"]);
        let line = self
            .wait_for(|l| l.starts_with("screenshot "), Duration::from_secs(30))
            .expect("F12 saves a screenshot");
        let path = PathBuf::from(&line["screenshot ".len()..]);
        assert!(
            path.starts_with(&self.data),
            "screenshots go to the data folder"
        );
        image::open(&path).expect("a PNG").to_rgb8()
    }
}

/// Pixels in the box (x, y, w, h) brighter than `level` (mean of R, G, B).
fn bright(img: &image::RgbImage, (x, y, w, h): (u32, u32, u32, u32), level: u8) -> usize {
    let mut n = 0;
    for py in y..(y + h).min(img.height()) {
        for px in x..(x + w).min(img.width()) {
            let p = img.get_pixel(px, py).0;
            if (p[0] as u32 + p[1] as u32 + p[2] as u32) / 3 > level as u32 {
                n += 1;
            }
        }
    }
    n
}

fn digest_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(digest_tree(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn scrolling_a_panel_never_zooms_the_view() {
    let home = tempfile::tempdir().unwrap();
    let Some(w) = Window::start(
        "scroll",
        home.path(),
        &["open", common::demo_case().to_str().unwrap()],
    ) else {
        return;
    };
    // Let the first camera settling pass.
    w.drain(Duration::from_secs(2));

    // Over the evidence list (left panel): the list scrolls, the camera must not move.
    w.xdotool(&["mousemove", "120", "450"]);
    for _ in 0..6 {
        w.xdotool(&["click", "5"]);
    }
    let over_panel = w.drain(Duration::from_secs(4));
    assert!(
        !over_panel.iter().any(|l| l.starts_with("camera")),
        "scrolling the panel moved the camera: {over_panel:?}"
    );

    // Over the 3D view: the wheel zooms.
    w.xdotool(&["mousemove", "900", "450"]);
    for _ in 0..3 {
        w.xdotool(&["click", "4"]);
    }
    let over_view = w.drain(Duration::from_secs(6));
    assert!(
        over_view.iter().any(|l| l.starts_with("camera radius=")),
        "the wheel over the view did not zoom: {over_view:?}"
    );
}

#[test]
fn the_start_screen_makes_a_case_and_add_model_fills_it() {
    let home = tempfile::tempdir().unwrap();
    let Some(w) = Window::start("start", home.path(), &["open"]) else {
        return;
    };
    // The start screen sits in the middle of the empty view: its text is there, nothing else.
    let start = w.screenshot();
    let (cx, cy) = (start.width() / 2, start.height() / 2);
    let centre = (cx - 200, cy - 60, 400, 120);
    assert!(
        bright(&start, centre, 150) > 400,
        "the start screen's text is drawn in the middle of the window"
    );

    // New case…: title, folder (Tab), Ctrl+Enter creates it and opens it.
    let case = home.path().join("courtyard");
    w.ctrl("n");
    std::thread::sleep(Duration::from_secs(1));
    w.type_text("Courtyard");
    w.xdotool(&["key", "Tab"]);
    std::thread::sleep(Duration::from_millis(400));
    w.type_text(case.to_str().unwrap());
    w.ctrl("Return");
    w.wait_for(|l| l == "case Courtyard", Duration::from_secs(60))
        .expect("the new case opens");
    assert!(case.join("case.json").is_file() && case.join("audit.jsonl").is_file());
    let empty = w.screenshot();

    // Add model…: a path typed (Enter puts it on the list), Ctrl+Enter adds it.
    w.ctrl("m");
    std::thread::sleep(Duration::from_secs(1));
    let glb = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mars/mars_crater_L4_centre_crop.glb");
    w.type_text(glb.to_str().unwrap());
    w.xdotool(&["key", "Return"]);
    std::thread::sleep(Duration::from_millis(800));
    let form = w.screenshot();
    w.ctrl("Return");
    let deadline = Instant::now() + Duration::from_secs(60);
    let case_json = loop {
        let text = std::fs::read_to_string(case.join("case.json")).unwrap_or_default();
        if text.contains("mars_crater_L4_centre_crop.glb") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(
        case_json.contains("\"original_name\": \"mars_crater_L4_centre_crop.glb\""),
        "{case_json}"
    );
    assert!(
        case.join("models/mars_crater_l4_centre_crop/mars_crater_L4_centre_crop.glb")
            .is_file()
    );
    // The form was on screen (the window differs from the empty case's in a large block).
    let changed = empty
        .pixels()
        .zip(form.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        changed > 50_000,
        "the Add model form was drawn ({changed} pixels changed)"
    );
    // The terrain is read anew and drawn in the view: a large, bright patch in its middle.
    std::thread::sleep(Duration::from_secs(6));
    let filled = w.screenshot();
    let view = (cx - 300, cy - 200, 600, 400);
    assert!(
        bright(&filled, view, 60) > 40_000,
        "the added model is drawn ({} bright pixels)",
        bright(&filled, view, 60)
    );
}

#[test]
fn the_demo_is_edited_as_a_copy_and_its_shipped_files_never_change() {
    let home = tempfile::tempdir().unwrap();
    let shipped = digest_tree(&common::demo_case());
    // `locus` alone opens the demo the same way: the bundled folder is redirected to the copy.
    let demo = common::demo_case();
    let Some(w) = Window::start("demo", home.path(), &["open", demo.to_str().unwrap()]) else {
        return;
    };
    w.wait_for(|l| l == "surface indexed", Duration::from_secs(90))
        .expect("the demo's surface is indexed");
    // Place an item: P, then a click on the model in the middle of the view.
    w.xdotool(&["mousemove", "800", "520"]);
    w.xdotool(&["key", "p"]);
    std::thread::sleep(Duration::from_millis(600));
    w.xdotool(&["click", "1"]);
    // Autosave writes the working copy a few seconds after the change.
    let copy = w.data.join("demo/case.json");
    let bundled_items = std::fs::read_to_string(common::demo_case().join("case.json"))
        .unwrap()
        .matches("\"created_by\"")
        .count();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut saved = 0;
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(&copy).unwrap_or_default();
        saved = text.matches("\"created_by\"").count();
        if saved > bundled_items {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        saved > bundled_items,
        "the new item was autosaved into the working copy {}",
        copy.display()
    );
    assert!(w.data.join("demo/audit.jsonl").is_file());
    assert_eq!(
        digest_tree(&common::demo_case()),
        shipped,
        "nothing in the shipped demo changed"
    );
}

/// Pixels of the window within 3 of the colour `rgb` in every channel.
fn pixels_of(img: &image::RgbImage, rgb: [u8; 3]) -> usize {
    img.pixels()
        .filter(|p| (0..3).all(|i| p.0[i].abs_diff(rgb[i]) <= 3))
        .count()
}

#[test]
fn a_package_banner_is_green_only_for_a_trusted_signer() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let key = home.path().join("prosecution.key");
    let pkg = home.path().join("demo.locus");
    let locus = || {
        let mut cmd = common::locus();
        cmd.env("LOCUS_CONFIG_DIR", &config);
        cmd
    };
    locus()
        .args(["keygen", "--out"])
        .arg(&key)
        .assert()
        .success();
    locus()
        .arg("export")
        .arg(common::demo_case())
        .arg("--out")
        .arg(&pkg)
        .arg("--key")
        .arg(&key)
        .assert()
        .success();
    // The banner's fills (ui/toolbar.rs): amber, green, red.
    const AMBER: [u8; 3] = [230, 170, 40];
    const GREEN: [u8; 3] = [30, 110, 50];
    const RED: [u8; 3] = [180, 30, 30];
    let banner = |pkg: &Path, name: &str| -> Option<image::RgbImage> {
        let w = Window::start(name, home.path(), &["open", pkg.to_str().unwrap()])?;
        w.wait_for(|l| l == "surface indexed", Duration::from_secs(90))
            .expect("the package opens");
        Some(w.screenshot())
    };

    // Signed by a key this user does not trust: amber, not green.
    let Some(untrusted) = banner(&pkg, "package-untrusted") else {
        return;
    };
    assert!(
        pixels_of(&untrusted, AMBER) > 10_000 && pixels_of(&untrusted, GREEN) < 500,
        "an untrusted signer's package has an amber banner (amber {}, green {})",
        pixels_of(&untrusted, AMBER),
        pixels_of(&untrusted, GREEN)
    );

    // The same package once the user trusts the key: green.
    locus()
        .args(["trust", "add", &format!("{}.pub", key.display())])
        .args(["--name", "prosecution"])
        .assert()
        .success();
    let trusted = banner(&pkg, "package-trusted").expect("the window opened before");
    assert!(
        pixels_of(&trusted, GREEN) > 10_000 && pixels_of(&trusted, AMBER) < 500,
        "a trusted signer's package has a green banner (green {}, amber {})",
        pixels_of(&trusted, GREEN),
        pixels_of(&trusted, AMBER)
    );

    // One byte of the model changed: red, trusted signer or not.
    let tampered = home.path().join("tampered.locus");
    common::tampered_copy(&pkg, &tampered, "case/models/site.glb");
    let altered = banner(&tampered, "package-altered").expect("the window opened before");
    assert!(
        pixels_of(&altered, RED) > 10_000 && pixels_of(&altered, GREEN) < 500,
        "an altered package has a red banner (red {}, green {})",
        pixels_of(&altered, RED),
        pixels_of(&altered, GREEN)
    );
}

/// A copy of the demo whose photo item P1 has its camera matched: the demo drawn from its Car
/// park bookmark is the photo, and the pairs are where the renderer put the items in it. None
/// when no renderer is available.
fn matched_demo(home: &Path) -> Option<PathBuf> {
    // A case with a matched photo: the demo drawn from its Car park bookmark is the photo, and
    // the pairs are where the renderer put the items in it.
    let case = home.join("case");
    assert!(
        Command::new("cp")
            .arg("-r")
            .arg(common::demo_case())
            .arg(&case)
            .status()
            .unwrap()
            .success()
    );
    let photo = home.join("car_park.png");
    let render = common::locus()
        .arg("render")
        .arg(&case)
        .args([
            "--bookmark",
            "Car park",
            "--size",
            "1280x720",
            "--json",
            "--out",
        ])
        .arg(&photo)
        .output()
        .unwrap();
    if common::skip_without_vulkan(&render) {
        return None;
    }
    let rendered: serde_json::Value = serde_json::from_slice(&render.stdout).unwrap();
    let inspect = common::locus()
        .arg("inspect")
        .arg(&case)
        .arg("--json")
        .output()
        .unwrap();
    let inspected: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let mut pairs = Vec::new();
    for item in rendered["items"].as_array().unwrap() {
        let (Some(px), Some(e)) = (
            item["ground_pixel"].as_array(),
            inspected["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["id"] == item["id"]),
        ) else {
            continue;
        };
        let (x, y) = (px[0].as_f64().unwrap() + 0.5, px[1].as_f64().unwrap() + 0.5);
        if (0.0..1280.0).contains(&x) && (0.0..720.0).contains(&y) {
            let enu = &e["enu"];
            pairs.push(serde_json::json!({"pixel": [x, y], "enu": [enu["east_m"], enu["north_m"], enu["up_m"]]}));
        }
    }
    let pairs_file = home.join("pairs.json");
    std::fs::write(&pairs_file, serde_json::Value::from(pairs).to_string()).unwrap();
    common::locus()
        .arg("camera-match")
        .arg(&case)
        .arg("--photo")
        .arg(&photo)
        .arg("--pairs")
        .arg(&pairs_file)
        .args(["--item", "P1"])
        .assert()
        .success();

    Some(case)
}

#[test]
fn looking_through_a_matched_camera_fits_its_photo_in_the_view() {
    let home = tempfile::tempdir().unwrap();
    let Some(case) = matched_demo(home.path()) else {
        return;
    };
    let Some(w) = Window::start(
        "through",
        home.path(),
        &["open", case.to_str().unwrap(), "--through", "P1"],
    ) else {
        return;
    };
    w.wait_for(|l| l == "surface indexed", Duration::from_secs(90))
        .expect("the case opens");
    std::thread::sleep(Duration::from_secs(2));
    let shot = w.screenshot();
    // The photo's frame (ui/look_through.rs) is drawn in the view with the photo's aspect.
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    let mut n = 0;
    for (x, y, p) in shot.enumerate_pixels() {
        if p.0[0].abs_diff(255) <= 3 && p.0[1].abs_diff(210) <= 3 && p.0[2].abs_diff(80) <= 3 {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            n += 1;
        }
    }
    assert!(n > 1000, "the photo's frame is drawn ({n} pixels)");
    let aspect = (x1 - x0 + 1) as f64 / (y1 - y0 + 1) as f64;
    assert!(
        (aspect - 1280.0 / 720.0).abs() < 0.03,
        "the frame has the photo's aspect: {aspect:.3} ({x0},{y0})–({x1},{y1})"
    );
}

#[test]
fn the_match_camera_window_shows_the_pairs_and_solves_them() {
    let home = tempfile::tempdir().unwrap();
    let Some(case) = matched_demo(home.path()) else {
        return;
    };
    let Some(w) = Window::start(
        "match",
        home.path(),
        &["open", case.to_str().unwrap(), "--match-camera", "P1"],
    ) else {
        return;
    };
    w.wait_for(|l| l == "surface indexed", Duration::from_secs(90))
        .expect("the case opens");
    std::thread::sleep(Duration::from_secs(2));
    let marks = |img: &image::RgbImage, rgb: [u8; 3]| {
        img.pixels()
            .filter(|p| (0..3).all(|k| p.0[k].abs_diff(rgb[k]) <= 3))
            .count()
    };
    let before = w.screenshot();
    // The stored pairs come back, each a numbered ring on the photo.
    assert!(
        marks(&before, [255, 210, 80]) > 300,
        "the pairs are drawn on the photo ({} pixels)",
        marks(&before, [255, 210, 80])
    );
    // Solve (the window's first button under the photo): the RMS and each pair's residual
    // appear in the window.
    w.xdotool(&["mousemove", "41", "453", "click", "1"]);
    std::thread::sleep(Duration::from_secs(2));
    let solved = w.screenshot();
    let changed = (0..560)
        .flat_map(|y| (0..620).map(move |x| (x, y)))
        .filter(|&(x, y)| before.get_pixel(x, y) != solved.get_pixel(x, y))
        .count();
    assert!(
        changed > 500,
        "Solve shows the RMS and the residuals ({changed} pixels of the window changed)"
    );
}
