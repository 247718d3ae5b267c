//! The open case as the app holds it: the core's case and site, the display time zone, the
//! time span, and the render origin. This is the one place where case ENU (f64) becomes
//! render coordinates (f32, relative to a local origin near the site's centre).
//!
//! The case itself lives in an editing `Session` (audit log, undo, saving). Its fields are
//! private: systems read it through `Res<CaseScene>` and change it only through [`CaseEdits`],
//! which applies edits, saves and takes the surface index without tripping Bevy's change
//! detection (that means "another case was opened" and respawns the whole site) and bumps
//! `revision` instead; views that depend on the case's content follow `revision`. Opening
//! another case replaces the resource.

use std::ops::Deref;
use std::path::Path;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use chrono_tz::Tz;
use locus_core::analysis::surface::enu_bounds;
use locus_core::case::Case;
use locus_core::case::edit::Edit;
use locus_core::case::file::{LoadedCase, load_case};
use locus_core::case::session::{Recovery, Session, SessionError};
use locus_core::case::timeline::{Layout, TimeSpan};
use locus_core::geo::geodesy::{Enu, enu_to_view};
use locus_core::integrity::package::{TempDir, VerifyReport};
use locus_core::progress::{Cancelled, Progress};
use locus_core::site::Site;
use locus_core::time::parse_time_zone;
use nalgebra::Matrix4;

/// A sealed package being viewed: what verification found, and the temporary folder it was
/// unpacked into (deleted when the case is closed).
pub struct PackageView {
    pub path: std::path::PathBuf,
    pub report: VerifyReport,
    _dir: TempDir,
}

impl PackageView {
    /// The temporary folder the package was unpacked into.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }
}

#[derive(Resource)]
pub struct CaseScene {
    /// Set when the case came from a sealed package (always read-only).
    package: Option<PackageView>,
    session: Session,
    /// Edits found in the audit log that the saved case lacks (the last run was killed):
    /// the user is asked whether to recover or discard them.
    recovery: Option<Recovery>,
    /// Bumped on every change to the case's content (edit, undo, redo, recovery).
    revision: u64,
    /// Bumped when the models were placed anew or read anew (their meshes and the surface
    /// index follow).
    site_revision: u64,
    /// No case: the empty scene shown while the first one opens, or after that failed.
    placeholder: Option<Placeholder>,
    /// Set for a model file opened on its own (an in-memory case around it).
    bare_model: Option<std::path::PathBuf>,
    site: Site,
    tz: Tz,
    span: Option<TimeSpan>,
    /// ENU point that render coordinates are relative to (the middle of the site).
    render_origin: Enu,
    /// Centre and radius of everything in the case, ENU metres.
    centre: Enu,
    radius_m: f64,
    /// What is cut away to see into buildings (drawn and picked alike); a view state, not
    /// part of the case.
    section: locus_core::case::section::Section,
}

/// The scene shown when no case is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// The case named on the command line is being opened.
    Opening,
    /// It could not be opened, or its opening was cancelled.
    NothingOpen,
}

/// When a case's surface index (clicks, heights, lines of sight) is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurfaceIndex {
    /// Before the case is returned: offscreen renders, reports, tests.
    Now,
    /// After the case is shown, on another thread (the window; see `scene::index_surface`):
    /// the models appear without waiting for it.
    Later,
}

/// Marks every entity spawned from the open case, so that opening another case can clear them.
#[derive(Component)]
pub struct CaseEntity;

impl CaseScene {
    /// Opens a case for editing, recording edits under `author`. A case whose audit log
    /// cannot be used (broken chain, folder not writable) still opens, read-only, saying why.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn open(path: &Path, author: &str) -> anyhow::Result<CaseScene> {
        Self::open_with(path, author, &Progress::default(), SurfaceIndex::Now)
    }

    fn open_with(
        path: &Path,
        author: &str,
        progress: &Progress,
        index: SurfaceIndex,
    ) -> anyhow::Result<CaseScene> {
        match Session::open(path, author) {
            Ok((session, recovery)) => {
                let mut scene = Self::from_session_with(session, progress, index)?;
                scene.recovery = recovery;
                Ok(scene)
            }
            Err(SessionError::Case(e)) => Err(e.into()),
            Err(e) => {
                let loaded = load_case(path)?;
                let mut scene = Self::from_session_with(
                    Session::read_only(loaded, format!("{e}")),
                    progress,
                    index,
                )?;
                scene.site.warnings.push(format!("read-only: {e}"));
                Ok(scene)
            }
        }
    }

    /// A mesh or point cloud file on its own, in an in-memory case: to look at and measure
    /// (kept in memory only).
    fn open_bare(
        path: &Path,
        viewer: &str,
        progress: &Progress,
        index: SurfaceIndex,
    ) -> anyhow::Result<CaseScene> {
        let loaded = locus_core::site::bare_model_case(path).map_err(anyhow::Error::msg)?;
        let session = Session::viewer(
            loaded,
            "a model file opened on its own is not a case: make a case from it to place evidence",
            viewer,
        );
        let mut scene = Self::from_session_with(session, progress, index)?;
        scene.bare_model = Some(path.to_path_buf());
        Ok(scene)
    }

    /// Opens a case folder (editable) or a sealed `.locus` package (verified, read-only).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn open_any(path: &Path, author: &str) -> anyhow::Result<CaseScene> {
        Self::open_any_with(path, author, &Progress::default(), SurfaceIndex::Now)
    }

    /// [`Self::open_any`] reporting progress and stopping when cancelled (for loading off the
    /// frame loop).
    pub fn open_any_with(
        path: &Path,
        author: &str,
        progress: &Progress,
        index: SurfaceIndex,
    ) -> anyhow::Result<CaseScene> {
        if is_package(path) {
            progress.step(0.0, "Verifying the package")?;
            Self::open_package(path, author, progress, index)
        } else if locus_core::site::is_model_file(path) {
            Self::open_bare(path, author, progress, index)
        } else {
            Self::open_with(path, author, progress, index)
        }
    }

    /// Verifies a package, unpacks it into a fresh temporary folder and opens that read-only.
    /// Altered packages open too, with the report saying what differs; hostile ones do not.
    /// The viewer may measure and check lines of sight for their own use (kept in memory;
    /// "Save as new case" keeps them, in a separate folder).
    pub fn open_package(
        path: &Path,
        viewer: &str,
        progress: &Progress,
        index: SurfaceIndex,
    ) -> anyhow::Result<CaseScene> {
        let (report, dir, case_file) =
            locus_core::integrity::package::open_for_viewing(path, None)?;
        let loaded = load_case(&case_file)?;
        let mut scene = Self::from_session_with(
            Session::viewer(
                loaded,
                "a sealed package is shown exactly as sealed; nothing in it can be changed",
                viewer,
            ),
            progress,
            index,
        )?;
        if !report.intact() {
            scene
                .site
                .warnings
                .insert(0, format!("PACKAGE NOT INTACT: {}", report.summary()));
        }
        scene.package = Some(PackageView {
            path: path.to_path_buf(),
            report,
            _dir: dir,
        });
        Ok(scene)
    }

    /// The empty scene shown while the case at `path` is being opened.
    pub fn opening(path: &Path) -> CaseScene {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Self::empty_scene(
            Placeholder::Opening,
            format!("Opening {name}…"),
            format!("Opening {}", path.display()),
            "the case is still being opened",
        )
    }

    /// The empty scene left when the first case could not be opened (or its opening was
    /// cancelled).
    pub fn nothing_open() -> CaseScene {
        Self::empty_scene(
            Placeholder::NothingOpen,
            "No case open".into(),
            "No case open: start a new case, open one (a folder, a sealed package or a model file), or try the demo".into(),
            "no case is open",
        )
    }

    fn empty_scene(kind: Placeholder, title: String, notice: String, reason: &str) -> CaseScene {
        let dir = std::env::current_dir().unwrap_or_default();
        let loaded = LoadedCase {
            case: Case::in_memory(title, Some(notice)),
            file: dir.join("(no case file)"),
            dir,
        };
        let mut scene = Self::from_session(Session::read_only(loaded, reason));
        scene.placeholder = Some(kind);
        scene
    }

    /// Opens a case only to look at it (offscreen renders, sealed packages).
    pub fn open_read_only(path: &Path, reason: &str) -> anyhow::Result<CaseScene> {
        let loaded = load_case(path)?;
        Ok(Self::from_session(Session::read_only(loaded, reason)))
    }

    pub fn from_session(session: Session) -> CaseScene {
        match Self::from_session_with(session, &Progress::default(), SurfaceIndex::Now) {
            Ok(scene) => scene,
            Err(Cancelled) => unreachable!("nobody can cancel a private Progress"),
        }
    }

    pub fn from_session_with(
        session: Session,
        progress: &Progress,
        index: SurfaceIndex,
    ) -> Result<CaseScene, Cancelled> {
        let site = match index {
            SurfaceIndex::Now => Site::open_with(&session.loaded, progress)?,
            SurfaceIndex::Later => Site::read_with(&session.loaded, progress)?,
        };
        let tz = parse_time_zone(&session.loaded.case.display_time_zone).unwrap_or(chrono_tz::UTC);
        let span = TimeSpan::of_case(&session.loaded.case);
        let (centre, radius_m) = extent(&site);
        Ok(CaseScene {
            package: None,
            session,
            recovery: None,
            revision: 0,
            site_revision: 0,
            placeholder: None,
            bare_model: None,
            site,
            tz,
            span,
            render_origin: centre,
            centre,
            radius_m,
            section: Default::default(),
        })
    }

    /// The section in force: what is cut away is neither drawn nor picked.
    pub fn section(&self) -> &locus_core::case::section::Section {
        &self.section
    }

    /// Sets what is cut away (offscreen renders set it before the app takes the scene).
    pub fn set_section(&mut self, section: locus_core::case::section::Section) {
        self.section = section;
    }

    /// The kept region in render coordinates, (lowest, highest) corners; ±1e30 unbounded.
    pub fn section_render_bounds(&self) -> (Vec3, Vec3) {
        let (lo, hi) = self.section.bounds();
        let big = 1.0e30f64;
        let a = self.to_render(Enu::new(
            lo.east_m.max(-big),
            lo.north_m.max(-big),
            lo.up_m.max(-big),
        ));
        let b = self.to_render(Enu::new(
            hi.east_m.min(big),
            hi.north_m.min(big),
            hi.up_m.min(big),
        ));
        (a.min(b), a.max(b))
    }

    /// The section's vertical plane in render coordinates: fragments where dot(p, xyz) > w
    /// are cut away (`NO_PLANE` when there is none).
    pub fn section_render_plane(&self) -> Vec4 {
        let Some(v) = self.section.vertical_plane else {
            return crate::view::scene::NO_PLANE;
        };
        let [ne, nn] = v.normal();
        let a = self.to_render(Enu::new(v.east_m, v.north_m, 0.0));
        let b = self.to_render(Enu::new(v.east_m + ne, v.north_m + nn, 0.0));
        let n = (b - a).normalize_or_zero();
        n.extend(n.dot(a))
    }

    /// The sealed package this case came from, if any (always read-only).
    pub fn package(&self) -> Option<&PackageView> {
        self.package.as_ref()
    }

    /// The editing session: the case, its audit log, undo history and save state.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Edits found in the audit log that the saved case lacks (the last run was killed): the
    /// user is asked whether to recover or discard them.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }

    /// Bumped on every change to the case's content (edit, undo, redo, recovery, surface).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Bumped when the models were placed anew or read anew (their meshes and the surface
    /// index follow).
    pub fn site_revision(&self) -> u64 {
        self.site_revision
    }

    /// Set while no case is open (the first one is opening, or it failed).
    pub fn placeholder(&self) -> Option<Placeholder> {
        self.placeholder
    }

    /// The model file, when it was opened on its own rather than as part of a case.
    pub fn bare_model(&self) -> Option<&Path> {
        self.bare_model.as_deref()
    }

    /// The models as read and placed, the surface index, item layout and warnings.
    pub fn site(&self) -> &Site {
        &self.site
    }

    /// The case's display time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The span the case's timeline covers (none when nothing has a time).
    pub fn span(&self) -> Option<&TimeSpan> {
        self.span.as_ref()
    }

    /// Centre of everything in the case, ENU metres.
    pub fn centre(&self) -> Enu {
        self.centre
    }

    /// Radius around [`Self::centre`] that holds everything in the case, metres.
    pub fn radius_m(&self) -> f64 {
        self.radius_m
    }

    pub fn loaded(&self) -> &LoadedCase {
        &self.session.loaded
    }

    pub fn case(&self) -> &Case {
        &self.session.loaded.case
    }

    pub fn editable(&self) -> bool {
        self.session.read_only_reason().is_none()
    }

    /// Measuring and lines of sight: in an editable case, and for a package's viewer.
    pub fn can_annotate(&self) -> bool {
        self.session.allows_annotations()
    }

    /// Applies one edit (recorded in the audit log first) and updates what depends on it.
    fn apply(&mut self, edit: Edit) -> Result<(), SessionError> {
        self.session.apply(edit)?;
        self.refresh();
        Ok(())
    }

    /// Undo; returns what was undone.
    fn undo(&mut self) -> Option<Result<String, SessionError>> {
        let r = self.session.undo()?;
        if r.is_ok() {
            self.refresh();
        }
        Some(r)
    }

    fn redo(&mut self) -> Option<Result<String, SessionError>> {
        let r = self.session.redo()?;
        if r.is_ok() {
            self.refresh();
        }
        Some(r)
    }

    /// Takes the recovered edits (asked on opening) as the current, unsaved state.
    fn accept_recovery(&mut self) {
        if let Some(r) = self.recovery.take() {
            self.session.accept_recovery(r);
            self.refresh();
        }
    }

    fn discard_recovery(&mut self) -> Result<(), SessionError> {
        if let Some(r) = self.recovery.take() {
            self.session.discard_recovery(&r)?;
        }
        Ok(())
    }

    /// After the case's content changed: lay items out again and recompute the time span.
    fn refresh(&mut self) {
        if self.site.follow_placements(&self.session.loaded) {
            // The render origin stays: everything is drawn relative to it anyway.
            (self.centre, self.radius_m) = extent(&self.site);
            self.site_revision += 1;
        }
        let case = &self.session.loaded.case;
        self.site.layout = if self.site.surface_ready {
            Layout::of_case(case, &self.site.surface)
        } else {
            Layout::awaiting_surface(case)
        };
        self.span = TimeSpan::of_case(&self.session.loaded.case);
        self.revision += 1;
    }

    /// True when the case's models (added, replaced, removed, or such an edit undone) are no
    /// longer the ones the site was read from: the site must be read anew.
    pub fn models_out_of_date(&self) -> bool {
        let key = |m: &locus_core::case::Model| (m.id.clone(), m.path.clone(), m.sha256.clone());
        !self
            .site
            .models
            .iter()
            .map(|om| key(&om.model))
            .eq(self.case().models.iter().map(key))
    }

    /// Takes a site read anew for the case's current models (its surface index follows).
    fn take_site(&mut self, site: Site) {
        self.site = site;
        (self.centre, self.radius_m) = extent(&self.site);
        self.site_revision += 1;
        self.refresh();
    }

    /// Takes the surface index built after opening (`SurfaceIndex::Later`): items without a
    /// height are placed on it, clicks and lines of sight can use it.
    fn take_surface(&mut self, surface: locus_core::analysis::surface::Surface) {
        self.site.set_surface(surface, &self.session.loaded);
        self.revision += 1;
    }

    /// Case ENU (f64) → render coordinates (f32), relative to the render origin.
    pub fn to_render(&self, p: Enu) -> Vec3 {
        let local = Enu::new(
            p.east_m - self.render_origin.east_m,
            p.north_m - self.render_origin.north_m,
            p.up_m - self.render_origin.up_m,
        );
        let v = enu_to_view(local);
        Vec3::new(v[0] as f32, v[1] as f32, v[2] as f32)
    }

    /// Render coordinates → case ENU (f64).
    pub fn render_to_enu(&self, v: Vec3) -> Enu {
        let e = locus_core::geo::geodesy::view_to_enu([v.x as f64, v.y as f64, v.z as f64]);
        Enu::new(
            e.east_m + self.render_origin.east_m,
            e.north_m + self.render_origin.north_m,
            e.up_m + self.render_origin.up_m,
        )
    }

    /// The f64 matrix from case ENU to render coordinates, for composing model transforms.
    pub fn enu_to_render_matrix(&self) -> Matrix4<f64> {
        let o = self.render_origin;
        locus_core::geo::placement::enu_to_view_matrix()
            * Matrix4::new_translation(&nalgebra::Vector3::new(-o.east_m, -o.north_m, -o.up_m))
    }

    pub fn title(&self) -> &str {
        &self.case().title
    }
}

/// The only mutable access systems get to the open case. Everything here changes the case's
/// content, not which case is open, so it goes around Bevy's change detection and bumps
/// [`CaseScene::revision`] instead; replacing the resource is what opens another case.
#[derive(SystemParam)]
pub struct CaseEdits<'w> {
    scene: ResMut<'w, CaseScene>,
}

impl Deref for CaseEdits<'_> {
    type Target = CaseScene;

    fn deref(&self) -> &CaseScene {
        &self.scene
    }
}

impl CaseEdits<'_> {
    fn scene(&mut self) -> &mut CaseScene {
        self.scene.bypass_change_detection()
    }

    /// True when another case was opened (the resource replaced) since this system last ran.
    pub fn opened_anew(&self) -> bool {
        self.scene.is_changed()
    }

    /// Applies one edit (recorded in the audit log first) and updates what depends on it.
    pub fn apply(&mut self, edit: Edit) -> Result<(), SessionError> {
        self.scene().apply(edit)
    }

    /// Undo; returns what was undone.
    pub fn undo(&mut self) -> Option<Result<String, SessionError>> {
        self.scene().undo()
    }

    /// Redo; returns what was redone.
    pub fn redo(&mut self) -> Option<Result<String, SessionError>> {
        self.scene().redo()
    }

    /// Takes the recovered edits (asked on opening) as the current, unsaved state.
    pub fn accept_recovery(&mut self) {
        self.scene().accept_recovery();
    }

    /// Drops the recovered edits (the discard is itself logged).
    pub fn discard_recovery(&mut self) -> Result<(), SessionError> {
        self.scene().discard_recovery()
    }

    /// Saves the case atomically, recording the audit log's head.
    pub fn save(&mut self) -> Result<(), SessionError> {
        self.scene().session.save()
    }

    /// Starts saving a copy of the case on another thread (see `Session::save_in_background`).
    pub fn save_in_background(&mut self) -> Result<(), SessionError> {
        self.scene().session.save_in_background()
    }

    /// The result of a background save once finished; None while it runs or when none runs.
    pub fn poll_background_save(&mut self) -> Option<Result<(), SessionError>> {
        if !self.session().saving_in_background() {
            return None;
        }
        self.scene().session.poll_background()
    }

    /// Sets what is cut away (a view state: nothing in the case changes).
    pub fn set_section(&mut self, section: locus_core::case::section::Section) {
        self.scene().set_section(section);
    }

    /// Lays items out again from the case as it is (after a drag whose edit was refused, the
    /// marker goes back where the case says it is).
    pub fn refresh(&mut self) {
        self.scene().refresh();
    }

    /// Takes a site read anew after the case's models changed.
    pub fn take_site(&mut self, site: Site) {
        self.scene().take_site(site);
    }

    /// Takes the surface index built after opening (`SurfaceIndex::Later`).
    pub fn take_surface(&mut self, surface: locus_core::analysis::surface::Surface) {
        self.scene().take_surface(surface);
    }
}

/// A sealed package rather than a case folder: a file named `*.locus`.
pub fn is_package(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("locus"))
}

/// The centre and radius of the models' bounds, or of the items when there are no models.
fn extent(site: &Site) -> (Enu, f64) {
    let mut points: Vec<Enu> = Vec::new();
    for om in &site.models {
        if let Ok(data) = &om.data
            && let Some((a, b)) = enu_bounds(&om.placed, data)
        {
            points.extend([a, b]);
        }
    }
    if points.is_empty() {
        points.extend(site.layout.items.iter().filter(|p| p.known).map(|p| p.enu));
        points.extend(site.layout.tracks.iter().flatten().map(|(_, p)| *p));
    }
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in points {
        for (k, v) in [p.east_m, p.north_m, p.up_m].into_iter().enumerate() {
            lo[k] = lo[k].min(v);
            hi[k] = hi[k].max(v);
        }
    }
    if !lo[0].is_finite() {
        return (Enu::ZERO, 50.0);
    }
    let centre = Enu::new(
        (lo[0] + hi[0]) / 2.0,
        (lo[1] + hi[1]) / 2.0,
        (lo[2] + hi[2]) / 2.0,
    );
    let radius =
        ((hi[0] - lo[0]).powi(2) + (hi[1] - lo[1]).powi(2) + (hi[2] - lo[2]).powi(2)).sqrt() / 2.0;
    (centre, radius.max(5.0))
}
