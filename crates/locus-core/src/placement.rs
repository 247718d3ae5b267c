//! How a model's own coordinates map into the case's ENU frame, computed in f64.
//!
//! Model coordinates are first brought to Z-up axes by the file format's convention (glTF is
//! Y-up: x, y, z → x, −z, y); the placement then maps those metres into case ENU.

use nalgebra::{Matrix4, Vector3, Vector4};
use serde::{Deserialize, Serialize};

use crate::geodesy::Enu;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Placement {
    /// The model's (Z-up) coordinates already are case ENU metres.
    #[default]
    Identity,
    /// Case ENU = model + offset.
    Offset {
        east_m: f64,
        north_m: f64,
        up_m: f64,
    },
    /// Case ENU = M · model, with M a row-major 4×4 affine matrix.
    Matrix { rows: [[f64; 4]; 4] },
}

impl Placement {
    /// The 4×4 model(Z-up) → case ENU matrix.
    pub fn matrix(&self) -> Matrix4<f64> {
        match self {
            Placement::Identity => Matrix4::identity(),
            Placement::Offset {
                east_m,
                north_m,
                up_m,
            } => Matrix4::new_translation(&Vector3::new(*east_m, *north_m, *up_m)),
            Placement::Matrix { rows } => Matrix4::from_fn(|r, c| rows[r][c]),
        }
    }

    pub fn method_label(&self) -> &'static str {
        match self {
            Placement::Identity => "identity (model coordinates are case ENU)",
            Placement::Offset { .. } => "offset",
            Placement::Matrix { .. } => "4×4 matrix",
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let m = self.matrix();
        if m.iter().any(|v| !v.is_finite()) {
            return Err("placement has a non-finite number".into());
        }
        if let Placement::Matrix { rows } = self {
            if rows[3] != [0.0, 0.0, 0.0, 1.0] {
                return Err("placement matrix must be affine: last row [0, 0, 0, 1]".into());
            }
            if m.fixed_view::<3, 3>(0, 0).determinant().abs() < 1e-12 {
                return Err("placement matrix is singular".into());
            }
        }
        Ok(())
    }

    pub fn apply(&self, p: Vector3<f64>) -> Enu {
        let v = self.matrix() * Vector4::new(p.x, p.y, p.z, 1.0);
        Enu::new(v.x, v.y, v.z)
    }
}

/// glTF's Y-up axes to Z-up model axes: (x, y, z) → (x, −z, y).
pub fn gltf_to_z_up() -> Matrix4<f64> {
    #[rustfmt::skip]
    let m = Matrix4::new(
        1.0, 0.0,  0.0, 0.0,
        0.0, 0.0, -1.0, 0.0,
        0.0, 1.0,  0.0, 0.0,
        0.0, 0.0,  0.0, 1.0,
    );
    m
}

/// Case ENU to view axes (x = East, y = Up, z = −North) as a matrix; see `geodesy::enu_to_view`.
pub fn enu_to_view_matrix() -> Matrix4<f64> {
    #[rustfmt::skip]
    let m = Matrix4::new(
        1.0, 0.0, 0.0, 0.0,
        0.0, 0.0, 1.0, 0.0,
        0.0, -1.0, 0.0, 0.0,
        0.0, 0.0, 0.0, 1.0,
    );
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::enu_to_view;

    #[test]
    fn gltf_identity_lands_in_view_axes_unchanged() {
        // A glTF point placed with identity must appear at the same Bevy coordinates.
        let p = Vector4::new(3.0, 7.0, -2.0, 1.0);
        let view = enu_to_view_matrix() * Placement::Identity.matrix() * gltf_to_z_up() * p;
        assert_eq!([view.x, view.y, view.z], [3.0, 7.0, -2.0]);
    }

    #[test]
    fn view_matrix_matches_the_one_function() {
        let e = Enu::new(1.5, -2.5, 4.0);
        let v = enu_to_view_matrix() * Vector4::new(e.east_m, e.north_m, e.up_m, 1.0);
        assert_eq!([v.x, v.y, v.z], enu_to_view(e));
    }

    #[test]
    fn offset_and_matrix() {
        let off = Placement::Offset {
            east_m: 10.0,
            north_m: -5.0,
            up_m: 2.0,
        };
        assert_eq!(
            off.apply(Vector3::new(1.0, 1.0, 1.0)),
            Enu::new(11.0, -4.0, 3.0)
        );
        let bad = Placement::Matrix {
            rows: [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0],
                [0.0, 0.0, 1.0, 1.0],
            ],
        };
        assert!(bad.validate().is_err());
    }
}
