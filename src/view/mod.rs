//! What every view of the case draws, in the window and in offscreen renders alike: the site's
//! meshes (`scene`) and point clouds (`points`), evidence markers and tracks (`markers`),
//! measurements and lines of sight (`annotations`), labels, north arrow, scale bar and clock
//! over the view (`overlay`), the storyline step in force (`story`), the camera (`camera`) and
//! the case clock (`clock`). Depends on `case_scene` and `locus_core`; of the window it only
//! reads what the editing tools show (a measurement's preview, a drag in progress) when those
//! resources exist, so an offscreen render runs without any panel or tool.

pub mod analyses;
pub mod annotations;
pub mod area_box;
pub mod camera;
pub mod clock;
pub mod cones;
pub mod markers;
pub mod masses;
pub mod overlay;
pub mod points;
pub mod scene;
pub mod story;
pub mod through;
