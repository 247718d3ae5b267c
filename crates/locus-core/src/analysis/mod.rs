//! Facts computed from the models: the surface index (ray casts and heights over meshes and
//! point clouds), lines of sight, measurements with propagated uncertainty, and surfaces
//! derived from point clouds. Depends on `geo`, `case` (measurement records) and `formats`
//! (model data); nothing here writes the case.

pub mod bloodstain;
pub mod camera_match;
pub mod clusters;
pub mod derive_surface;
pub mod measure;
pub mod sight;
pub mod surface;
pub mod trajectory;

/// A case's trajectories and stain groups as worked out against its models: what the view
/// draws and the report lists.
#[derive(Debug, Clone, Default)]
pub struct CaseAnalyses {
    pub trajectories: Vec<(String, Result<trajectory::TrajectoryAnalysis, String>)>,
    pub stain_groups: Vec<(String, Result<bloodstain::AreaOfOrigin, String>)>,
}

impl CaseAnalyses {
    pub fn of(case: &crate::case::Case, surface: &surface::Surface) -> CaseAnalyses {
        let stains_on = (!surface.is_empty()).then_some(surface);
        CaseAnalyses {
            trajectories: case
                .trajectories
                .iter()
                .map(|t| (t.id.clone(), trajectory::analyse(t, case, surface)))
                .collect(),
            stain_groups: case
                .stain_groups
                .iter()
                .map(|g| (g.id.clone(), bloodstain::area_of_origin(case, stains_on, g)))
                .collect(),
        }
    }
}
