//! Line of sight: could an observer's eye see a target point, given the models? The answer
//! names the first obstruction when there is one.

use crate::analysis::surface::Surface;
use crate::geo::geodesy::Enu;

/// Default eye height of a standing adult above the surface, metres.
pub const DEFAULT_EYE_HEIGHT_M: f64 = 1.6;

/// The last few centimetres before the target are not checked: a target lying on the
/// surface must not count as its own obstruction.
pub const TARGET_MARGIN_M: f64 = 0.05;

#[derive(Debug, Clone, PartialEq)]
pub struct Sight {
    pub observer: Enu,
    pub target: Enu,
    pub distance_m: f64,
    /// The first point where the line meets a model, when blocked.
    pub obstruction: Option<Enu>,
}

impl Sight {
    pub fn visible(&self) -> bool {
        self.obstruction.is_none()
    }

    /// "visible over 41.2 m" or "blocked 12.3 m from the observer, at E … N … U …".
    pub fn describe(&self) -> String {
        match self.obstruction {
            None => format!(
                "visible: nothing on the models blocks the {:.1} m line",
                self.distance_m
            ),
            Some(o) => format!(
                "blocked {:.1} m from the observer (of {:.1} m), at E {:.2} N {:.2} U {:.2}",
                self.observer.distance(o),
                self.distance_m,
                o.east_m,
                o.north_m,
                o.up_m
            ),
        }
    }
}

pub fn line_of_sight(surface: &Surface, observer: Enu, target: Enu) -> Sight {
    let obstruction = surface
        .first_obstruction(observer, target, TARGET_MARGIN_M)
        .map(|h| h.point);
    Sight {
        observer,
        target,
        distance_m: observer.distance(target),
        obstruction,
    }
}

/// An observer standing on the surface at (east, north) with their eye `eye_height_m` above it.
pub fn eye_above_surface(
    surface: &Surface,
    east: f64,
    north: f64,
    eye_height_m: f64,
) -> Option<Enu> {
    surface
        .height_at(east, north)
        .map(|h| Enu::new(east, north, h + eye_height_m))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ground 0..20 × 0..10 with a 3 m wall at east = 10.
    fn wall() -> Surface {
        let g = |x: f64, y: f64| [x, y, 0.0];
        Surface::from_triangles(&[
            [g(0.0, 0.0), g(20.0, 0.0), g(20.0, 10.0)],
            [g(0.0, 0.0), g(20.0, 10.0), g(0.0, 10.0)],
            [[10.0, 0.0, 0.0], [10.0, 10.0, 0.0], [10.0, 10.0, 3.0]],
            [[10.0, 0.0, 0.0], [10.0, 10.0, 3.0], [10.0, 0.0, 3.0]],
        ])
    }

    #[test]
    fn a_wall_blocks_a_standing_observer() {
        let s = wall();
        let eye = eye_above_surface(&s, 2.0, 5.0, DEFAULT_EYE_HEIGHT_M).unwrap();
        assert!((eye.up_m - 1.6).abs() < 1e-5);
        let behind = line_of_sight(&s, eye, Enu::new(18.0, 5.0, 0.0));
        assert!(!behind.visible());
        let o = behind.obstruction.unwrap();
        assert!((o.east_m - 10.0).abs() < 1e-4 && o.up_m < 3.0);
        assert!(
            behind.describe().starts_with("blocked 8.0 m"),
            "{}",
            behind.describe()
        );
        // The same side of the wall is visible, including a point on the ground.
        assert!(line_of_sight(&s, eye, Enu::new(8.0, 5.0, 0.0)).visible());
        // From an 8 m high window the line passes 4 m high over the 3 m wall.
        assert!(line_of_sight(&s, Enu::new(2.0, 5.0, 8.0), Enu::new(18.0, 5.0, 0.0)).visible());
    }
}
