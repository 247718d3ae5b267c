//! The open case as the app holds it: the core's case and site, the display time zone, the
//! time span, and the render origin. This is the one place where case ENU (f64) becomes
//! render coordinates (f32, relative to a local origin near the site's centre).

use std::path::Path;

use bevy::prelude::*;
use chrono_tz::Tz;
use locus_core::case_file::{LoadedCase, load_case};
use locus_core::geodesy::{Enu, enu_to_view};
use locus_core::site::Site;
use locus_core::surface::enu_bounds;
use locus_core::time::parse_time_zone;
use locus_core::timeline::TimeSpan;
use nalgebra::Matrix4;

#[derive(Resource)]
pub struct CaseScene {
    pub loaded: LoadedCase,
    pub site: Site,
    pub tz: Tz,
    pub span: Option<TimeSpan>,
    /// ENU point that render coordinates are relative to (the middle of the site).
    pub render_origin: Enu,
    /// Centre and radius of everything in the case, ENU metres.
    pub centre: Enu,
    pub radius_m: f64,
}

/// Marks every entity spawned from the open case, so that opening another case can clear them.
#[derive(Component)]
pub struct CaseEntity;

impl CaseScene {
    pub fn open(path: &Path) -> anyhow::Result<CaseScene> {
        let loaded = load_case(path)?;
        Ok(Self::from_loaded(loaded))
    }

    pub fn from_loaded(loaded: LoadedCase) -> CaseScene {
        let site = Site::open(&loaded);
        let tz = parse_time_zone(&loaded.case.display_time_zone).unwrap_or(chrono_tz::UTC);
        let span = TimeSpan::of_case(&loaded.case);
        let (centre, radius_m) = extent(&site);
        CaseScene {
            loaded,
            site,
            tz,
            span,
            render_origin: centre,
            centre,
            radius_m,
        }
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
        let e = locus_core::geodesy::view_to_enu([v.x as f64, v.y as f64, v.z as f64]);
        Enu::new(
            e.east_m + self.render_origin.east_m,
            e.north_m + self.render_origin.north_m,
            e.up_m + self.render_origin.up_m,
        )
    }

    /// The f64 matrix from case ENU to render coordinates, for composing model transforms.
    pub fn enu_to_render_matrix(&self) -> Matrix4<f64> {
        let o = self.render_origin;
        locus_core::placement::enu_to_view_matrix()
            * Matrix4::new_translation(&nalgebra::Vector3::new(-o.east_m, -o.north_m, -o.up_m))
    }

    pub fn title(&self) -> &str {
        &self.loaded.case.title
    }
}

/// The centre and radius of the models' bounds, or of the items when there are no models.
fn extent(site: &Site) -> (Enu, f64) {
    let mut points: Vec<Enu> = Vec::new();
    for om in &site.models {
        if let Ok(data) = &om.data
            && let Some((a, b)) = enu_bounds(&om.model, data)
        {
            points.extend([a, b]);
        }
    }
    if points.is_empty() {
        points.extend(site.layout.items.iter().map(|p| p.enu));
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
