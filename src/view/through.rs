//! Looking through a photo's camera: the pose of an item's camera (solved by camera matching,
//! or typed) and the matched photo itself, read from the case's evidence store and checked
//! against its recorded SHA-256. Used by `render --through` and by the window's look-through
//! mode (`LookThrough`), which holds the 3D camera at that pose while the photo is laid over
//! the view (`ui::look_through`).

use bevy::prelude::*;

use crate::case_scene::CaseScene;
use crate::third_party::orbit::{OrbitCamera, orbit_from_pose};
use crate::view::camera::{MainCamera, Pose};

/// The window's look-through mode: the item whose camera the view is held at, and the photo.
#[derive(Resource, Default)]
pub struct LookThrough {
    pub active: Option<Through>,
}

pub struct Through {
    pub item: String,
    /// The matched photo, when there is one and it is intact.
    pub photo: Option<image::RgbaImage>,
    /// Why the photo is not shown, when it is not.
    pub note: Option<String>,
    /// The photo's opacity over the model (0–1) and how much of it is shown from the left.
    pub opacity: f32,
    pub swipe: f32,
}

impl LookThrough {
    pub fn start(&mut self, scene: &CaseScene, item: &str) {
        let Some(index) = scene.case().evidence.iter().position(|i| i.id == item) else {
            return;
        };
        let (photo, note) = match matched_photo(scene, index) {
            Ok(Some(p)) => (Some(p), None),
            Ok(None) => (
                None,
                Some("no matched photo: the view is the typed camera".into()),
            ),
            Err(e) => (None, Some(e)),
        };
        self.active = Some(Through {
            item: item.to_string(),
            photo,
            note,
            opacity: 0.5,
            swipe: 1.0,
        });
    }
}

/// "View through this camera": the pose of a photo or video item's camera — the solved one
/// when it was matched (eye, heading, pitch, roll), else its typed heading and pitch from its
/// position — for a picture of `width`×`height` (the vertical field of view follows from the
/// camera's horizontal one and that aspect).
pub fn through_pose(
    scene: &CaseScene,
    item: usize,
    width: u32,
    height: u32,
) -> Result<Pose, String> {
    let it = scene
        .case()
        .evidence
        .get(item)
        .ok_or_else(|| format!("no item number {item}"))?;
    let cam = it.camera.as_ref().ok_or_else(|| {
        format!(
            "item {} has no camera (match its photo with camera-match, or type its heading and field of view)",
            it.id
        )
    })?;
    let eye = match &cam.matched {
        Some(m) => m.eye,
        None => scene.site().layout.items[item].enu,
    };
    let pose = locus_core::case::storyline::camera_pose(eye, cam, height as f64 / width as f64);
    Ok(crate::view::story::render_pose(scene, &pose))
}

/// The photo a matched item's camera was solved from, read from the case's evidence store and
/// checked against the SHA-256 recorded with the match: `Ok(None)` when the item has no match,
/// `Err` saying why when the photo cannot be shown (missing, altered, unreadable).
pub fn matched_photo(scene: &CaseScene, item: usize) -> Result<Option<image::RgbaImage>, String> {
    let it = &scene.case().evidence[item];
    let Some(m) = it.camera.as_ref().and_then(|c| c.matched.as_ref()) else {
        return Ok(None);
    };
    checked_photo(scene, &m.image_file, &m.image_sha256).map(Some)
}

/// A photo in the case's evidence store, read only after its SHA-256 is found to be the one
/// recorded: an error names the file and says ALTERED when it differs.
pub fn checked_photo(
    scene: &CaseScene,
    relative: &str,
    sha256: &str,
) -> Result<image::RgbaImage, String> {
    let p = checked_file(scene, relative, sha256, "photo")?;
    image::open(&p)
        .map(|img| img.to_rgba8())
        .map_err(|e| format!("{e}: {}", p.display()))
}

/// A file of the case's evidence store (`what`: "photo", "video"), inside the case folder and
/// with the SHA-256 recorded for it, else an error naming it (ALTERED when it differs).
pub fn checked_file(
    scene: &CaseScene,
    relative: &str,
    sha256: &str,
    what: &str,
) -> Result<std::path::PathBuf, String> {
    let path = scene.loaded().dir.join(relative);
    let p = locus_core::integrity::fsio::case_file_inside(&scene.loaded().dir, &path)?;
    let sha = locus_core::integrity::fsio::sha256_file(&p)
        .map_err(|e| format!("{e}: {}", p.display()))?;
    if sha != sha256 {
        return Err(format!(
            "ALTERED: the {what}'s SHA-256 is {sha}, recorded {sha256}: {}",
            p.display()
        ));
    }
    Ok(p)
}

/// The size (width, height) the camera's picture is fitted to in a view of `view` pixels: the
/// photo's own aspect inside the view, letterboxed.
pub fn fitted(view: Vec2, photo: Option<[u32; 2]>) -> Vec2 {
    let Some([pw, ph]) = photo else { return view };
    let aspect = pw as f32 / ph as f32;
    if view.x / view.y > aspect {
        Vec2::new(view.y * aspect, view.y)
    } else {
        Vec2::new(view.x, view.x / aspect)
    }
}

/// The picture size to compute a camera's field of view for, so that its photo fitted into a
/// view of `view` pixels (`fitted`) is exactly the camera's picture: the fitted photo's size
/// when it fills the view's height (bars left and right), else the view's own (the photo fills
/// the width, and the field of view follows the view's aspect).
pub fn fitted_frame(view: Vec2, photo: Option<[u32; 2]>) -> (u32, u32) {
    let fit = fitted(view, photo);
    let size = if fit.y >= view.y - 0.5 { fit } else { view };
    (
        size.x.round().max(1.0) as u32,
        size.y.round().max(1.0) as u32,
    )
}

/// Holds the window's camera at the item's camera while looking through it; the orbit control
/// is off meanwhile and takes over from that pose when the mode ends.
pub fn hold_camera(
    mut look: ResMut<LookThrough>,
    mut story: ResMut<crate::view::story::StoryView>,
    scene: Option<Res<CaseScene>>,
    mut was_active: Local<bool>,
    mut cameras: Query<
        (&Camera, &mut Transform, &mut Projection, &mut OrbitCamera),
        With<MainCamera>,
    >,
) {
    let Some(scene) = scene else { return };
    // The item looked through is not drawn: the view is from inside its marker and cone.
    let through = look.active.as_ref().map(|a| a.item.clone());
    if story.through != through {
        story.through = through;
    }
    let Ok((camera, mut tf, mut projection, mut orbit)) = cameras.single_mut() else {
        return;
    };
    let Some(active) = &look.active else {
        if std::mem::take(&mut *was_active) {
            let target = tf.translation + tf.forward() * 20.0;
            orbit_from_pose(&mut orbit, tf.translation, target, true);
        }
        return;
    };
    *was_active = true;
    let Some(index) = scene
        .case()
        .evidence
        .iter()
        .position(|i| i.id == active.item)
    else {
        look.active = None;
        return;
    };
    let view = camera
        .logical_viewport_size()
        .unwrap_or(Vec2::new(1280.0, 720.0));
    let photo = active.photo.as_ref().map(|p| [p.width(), p.height()]);
    // The camera's field of view spans the fitted photo: the same aspect, so the photo's
    // rectangle in the view is exactly the camera's picture.
    let (w, h) = fitted_frame(view, photo);
    let Ok(pose) = through_pose(&scene, index, w, h) else {
        return;
    };
    orbit.enabled = false;
    let new = Transform::from_translation(pose.eye).looking_at(pose.target, pose.up);
    if *tf != new {
        *tf = new;
    }
    if let Projection::Perspective(p) = projection.as_mut() {
        let fov = pose.fov_deg.to_radians();
        if (p.fov - fov).abs() > 1e-6 {
            p.fov = fov;
        }
    }
}
