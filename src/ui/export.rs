//! Frame and report exports from the app: the same `locus frames` / `locus report` as on the
//! command line, run as a child process of this binary so the window keeps drawing; progress
//! comes back line by line, Cancel stops the child and removes what it had written.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, block_on, poll_once};
use bevy_egui::egui;

use crate::case_scene::CaseScene;
use crate::editing::{EditCommand, EditCommands};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Frames,
    Report,
}

impl ExportKind {
    fn label(self) -> &'static str {
        match self {
            ExportKind::Frames => "frames",
            ExportKind::Report => "report",
        }
    }
}

struct Job {
    kind: ExportKind,
    out: PathBuf,
    child: Child,
    /// (done, total) from the child's "progress" lines.
    progress: Arc<Mutex<(u64, u64)>>,
    /// What the child said on stderr (its summary, or why it failed).
    messages: Arc<Mutex<String>>,
    /// The frames folder was made by this export (removed again on cancel).
    created_dir: bool,
    started: Instant,
}

#[derive(Resource, Default)]
pub struct ExportState {
    pub frames_dir: String,
    pub report_file: String,
    pub fps: u32,
    /// Waiting for the case to be saved before starting.
    pending: Option<ExportKind>,
    job: Option<Job>,
    /// The last export's outcome: (succeeded, message).
    pub outcome: Option<(bool, String)>,
    dialog: Option<(ExportKind, Task<Option<PathBuf>>)>,
}

pub fn plugin(app: &mut App) {
    app.init_resource::<ExportState>()
        .add_systems(Update, poll_export);
}

/// The case as the child should open it: the package being viewed, or the case file.
fn case_argument(scene: &CaseScene) -> PathBuf {
    match scene.package() {
        Some(p) => p.path.clone(),
        None => scene.loaded().file.clone(),
    }
}

fn default_paths(scene: &CaseScene) -> (String, String) {
    let base = match scene.package() {
        Some(p) => p.path.with_extension(""),
        None => scene.loaded().dir.clone(),
    };
    let base = std::path::absolute(&base).unwrap_or(base);
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "case".into());
    let parent = base.parent().map(Path::to_path_buf).unwrap_or_default();
    (
        parent.join(format!("{name}-frames")).display().to_string(),
        parent
            .join(format!("{name}-report.pdf"))
            .display()
            .to_string(),
    )
}

/// Starts the child; errors (a folder that is not empty, …) come back as the outcome.
fn start(state: &mut ExportState, scene: &CaseScene, kind: ExportKind) {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            state.outcome = Some((false, format!("cannot find the Locus program: {e}")));
            return;
        }
    };
    let mut cmd = Command::new(exe);
    let (out, created_dir) = match kind {
        ExportKind::Frames => {
            let out = PathBuf::from(state.frames_dir.trim());
            cmd.arg("frames")
                .arg(case_argument(scene))
                .arg("--out")
                .arg(&out)
                .arg("--fps")
                .arg(state.fps.clamp(1, 120).to_string());
            let created = !out.exists();
            (out, created)
        }
        ExportKind::Report => {
            let out = PathBuf::from(state.report_file.trim());
            cmd.arg("report")
                .arg(case_argument(scene))
                .arg("--out")
                .arg(&out);
            (out, false)
        }
    };
    cmd.arg("--progress")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            state.outcome = Some((false, format!("could not start the export: {e}")));
            return;
        }
    };
    let progress = Arc::new(Mutex::new((0, 0)));
    let messages = Arc::new(Mutex::new(String::new()));
    if let Some(stdout) = child.stdout.take() {
        let progress = progress.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut parts = line.split_whitespace();
                if parts.next() == Some("progress")
                    && let (Some(Ok(done)), Some(Ok(total))) = (
                        parts.next().map(str::parse::<u64>),
                        parts.next().map(str::parse::<u64>),
                    )
                    && let Ok(mut p) = progress.lock()
                {
                    *p = (done, total);
                }
            }
        });
    }
    if let Some(mut stderr) = child.stderr.take() {
        let messages = messages.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            if let Ok(mut m) = messages.lock() {
                *m = text;
            }
        });
    }
    info!("export of {} started: {}", kind.label(), out.display());
    state.outcome = None;
    state.job = Some(Job {
        kind,
        out,
        child,
        progress,
        messages,
        created_dir,
        started: Instant::now(),
    });
}

impl Drop for Job {
    /// An export still running when it is dropped (Cancel, or the window closing) is stopped,
    /// and frames it had written are removed (only from a folder it created). The report is
    /// written atomically, so nothing of it exists yet.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            if self.kind == ExportKind::Frames && self.created_dir {
                let _ = std::fs::remove_dir_all(&self.out);
            }
        }
    }
}

fn cancel(state: &mut ExportState) {
    if let Some(job) = state.job.take() {
        let kind = job.kind;
        drop(job);
        state.outcome = Some((false, format!("{} export cancelled", kind.label())));
    }
}

fn poll_export(
    mut state: ResMut<ExportState>,
    scene: Option<Res<CaseScene>>,
    mut edits: ResMut<EditCommands>,
) {
    if let Some((kind, task)) = &mut state.dialog
        && let Some(picked) = block_on(poll_once(task))
    {
        let kind = *kind;
        state.dialog = None;
        if let Some(p) = picked {
            match kind {
                ExportKind::Frames => state.frames_dir = p.display().to_string(),
                ExportKind::Report => state.report_file = p.display().to_string(),
            }
        }
    }
    if let (Some(kind), Some(scene)) = (state.pending, &scene) {
        // The export reads the saved case: start once the save has happened.
        if scene.session().is_dirty() && scene.editable() {
            edits.0.push(EditCommand::Save);
        } else {
            state.pending = None;
            start(&mut state, scene, kind);
        }
    }
    let Some(job) = &mut state.job else { return };
    match job.child.try_wait() {
        Ok(None) => {}
        Ok(Some(status)) => {
            // Give the reader thread a moment to take the last of stderr.
            std::thread::sleep(std::time::Duration::from_millis(20));
            let said = job.messages.lock().map(|m| m.clone()).unwrap_or_default();
            let summary = said
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_string();
            let kind = job.kind;
            let out = job.out.clone();
            state.job = None;
            state.outcome = Some(if status.success() {
                let what = match kind {
                    ExportKind::Frames => said
                        .lines()
                        .filter(|l| l.contains("frames in") || l.starts_with("video:"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    ExportKind::Report => summary,
                };
                (true, format!("Written to {}\n{what}", out.display()))
            } else {
                (
                    false,
                    format!("The {} export failed:\n{}", kind.label(), said.trim()),
                )
            });
        }
        Err(e) => {
            state.job = None;
            state.outcome = Some((false, format!("lost the export process: {e}")));
        }
    }
}

/// The export part of the storyline window.
pub fn export_ui(ui: &mut egui::Ui, scene: &CaseScene, state: &mut ExportState) {
    if state.frames_dir.is_empty() || state.report_file.is_empty() {
        let (f, r) = default_paths(scene);
        state.frames_dir = f;
        state.report_file = r;
        state.fps = 25;
    }
    ui.strong("Export");
    if let Some(job) = &state.job {
        let (done, total) = job.progress.lock().map(|p| *p).unwrap_or((0, 0));
        let fraction = if total > 0 {
            done as f32 / total as f32
        } else {
            0.0
        };
        let what = match job.kind {
            ExportKind::Frames => format!("Rendering frame {done} of {total}"),
            ExportKind::Report => format!("Rendering step pictures ({done} of {total})"),
        };
        ui.add(egui::ProgressBar::new(fraction).text(format!(
            "{what} · {:.0} s",
            job.started.elapsed().as_secs_f64()
        )));
        if ui.button("Cancel").clicked() {
            cancel(state);
        }
        ui.ctx().request_repaint();
        return;
    }
    let busy = state.pending.is_some() || state.dialog.is_some();
    let steps = !scene.case().storyline.steps.is_empty();
    let choose = |kind: ExportKind, state: &mut ExportState| {
        let task = IoTaskPool::get().spawn(async move {
            let d = rfd::AsyncFileDialog::new();
            let picked = match kind {
                ExportKind::Frames => d.set_title("Folder for the frames").pick_folder().await,
                ExportKind::Report => {
                    d.set_title("Save the report")
                        .add_filter("PDF", &["pdf"])
                        .save_file()
                        .await
                }
            };
            picked.map(|h| h.path().to_path_buf())
        });
        state.dialog = Some((kind, task));
    };
    ui.horizontal(|ui| {
        ui.label("Frames into");
        ui.add(egui::TextEdit::singleline(&mut state.frames_dir).desired_width(170.0));
        if ui.small_button("…").clicked() && !busy {
            choose(ExportKind::Frames, state);
        }
    });
    ui.horizontal(|ui| {
        ui.add(egui::DragValue::new(&mut state.fps).range(1..=120).suffix(" fps"));
        if ui
            .add_enabled(steps && !busy, egui::Button::new("🎞 Export frames"))
            .on_hover_text("1920×1080 PNG frames of the storyline with a manifest of SHA-256 hashes; an MP4 too when ffmpeg is installed")
            .clicked()
        {
            state.pending = Some(ExportKind::Frames);
        }
    });
    ui.horizontal(|ui| {
        ui.label("Report");
        ui.add(egui::TextEdit::singleline(&mut state.report_file).desired_width(170.0));
        if ui.small_button("…").clicked() && !busy {
            choose(ExportKind::Report, state);
        }
    });
    if ui
        .add_enabled(!busy, egui::Button::new("📄 Write report (PDF)"))
        .on_hover_text(
            "Summary, evidence table, measurements, a picture of each step, method appendix",
        )
        .clicked()
    {
        state.pending = Some(ExportKind::Report);
    }
    if let Some((ok, message)) = &state.outcome {
        let colour = if *ok {
            egui::Color32::from_rgb(120, 200, 120)
        } else {
            egui::Color32::from_rgb(230, 110, 90)
        };
        ui.colored_label(colour, message);
    }
}
