//! Measurement maths: distance, path length, height difference, area and angle from points in
//! case ENU, with a first-order uncertainty propagated from the accuracy of the points.

use crate::case::{Measurement, MeasurementKind};
use crate::geo::geodesy::Enu;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("{kind} needs {needed} points, got {got}")]
    Points {
        kind: &'static str,
        needed: &'static str,
        got: usize,
    },
    #[error("the points are degenerate ({0})")]
    Degenerate(&'static str),
}

/// How many points a kind of measurement takes: (minimum, maximum).
pub fn point_count(kind: MeasurementKind) -> (usize, Option<usize>) {
    match kind {
        MeasurementKind::Distance | MeasurementKind::Height => (2, Some(2)),
        MeasurementKind::Angle => (3, Some(3)),
        MeasurementKind::Path => (2, None),
        MeasurementKind::Area => (3, None),
    }
}

/// The value of a measurement, in its unit (m, m², degrees).
pub fn value(kind: MeasurementKind, points: &[Enu]) -> Result<f64, MeasureError> {
    let (min, max) = point_count(kind);
    if points.len() < min || max.is_some_and(|m| points.len() > m) {
        let needed = match kind {
            MeasurementKind::Distance | MeasurementKind::Height => "exactly 2",
            MeasurementKind::Angle => "exactly 3",
            MeasurementKind::Path => "at least 2",
            MeasurementKind::Area => "at least 3",
        };
        return Err(MeasureError::Points {
            kind: kind.label(),
            needed,
            got: points.len(),
        });
    }
    let v: Vec<[f64; 3]> = points
        .iter()
        .map(|p| [p.east_m, p.north_m, p.up_m])
        .collect();
    Ok(match kind {
        MeasurementKind::Distance => dist(v[0], v[1]),
        MeasurementKind::Path => v.windows(2).map(|w| dist(w[0], w[1])).sum(),
        MeasurementKind::Height => v[1][2] - v[0][2],
        MeasurementKind::Area => polygon_area(&v),
        MeasurementKind::Angle => {
            let a = sub(v[0], v[1]);
            let b = sub(v[2], v[1]);
            let (la, lb) = (norm(a), norm(b));
            if la < 1e-9 || lb < 1e-9 {
                return Err(MeasureError::Degenerate(
                    "an arm of the angle has zero length",
                ));
            }
            (dot(a, b) / (la * lb)).clamp(-1.0, 1.0).acos().to_degrees()
        }
    })
}

/// One standard deviation of the value when every coordinate of every point carries an
/// independent error of `sigma_m` (1σ, metres): σ_f = σ · √(Σ (∂f/∂xᵢ)²), with the partial
/// derivatives taken numerically (central differences).
pub fn uncertainty(
    kind: MeasurementKind,
    points: &[Enu],
    sigma_m: f64,
) -> Result<f64, MeasureError> {
    value(kind, points)?;
    let h = 1e-4;
    let mut sum = 0.0;
    let mut p = points.to_vec();
    for i in 0..p.len() {
        for k in 0..3 {
            let original = p[i];
            set(&mut p[i], k, get(original, k) + h);
            let plus = value(kind, &p)?;
            set(&mut p[i], k, get(original, k) - h);
            let minus = value(kind, &p)?;
            p[i] = original;
            let d = (plus - minus) / (2.0 * h);
            sum += d * d;
        }
    }
    Ok(sigma_m * sum.sqrt())
}

fn get(p: Enu, k: usize) -> f64 {
    [p.east_m, p.north_m, p.up_m][k]
}

fn set(p: &mut Enu, k: usize, v: f64) {
    match k {
        0 => p.east_m = v,
        1 => p.north_m = v,
        _ => p.up_m = v,
    }
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    norm(sub(a, b))
}

/// Area of a (near-)planar polygon in 3D: half the length of Newell's normal. For points on
/// a slope this is the area on that slope, not its map projection.
fn polygon_area(v: &[[f64; 3]]) -> f64 {
    // Relative to the first point, for precision far from the origin.
    let o = v[0];
    let mut n = [0.0; 3];
    for i in 0..v.len() {
        let a = sub(v[i], o);
        let b = sub(v[(i + 1) % v.len()], o);
        n[0] += (a[1] - b[1]) * (a[2] + b[2]);
        n[1] += (a[2] - b[2]) * (a[0] + b[0]);
        n[2] += (a[0] - b[0]) * (a[1] + b[1]);
    }
    norm(n) / 2.0
}

/// A new measurement from picked points: value, unit and, when every point lies on a model
/// with a stated accuracy, the uncertainty from the largest of those accuracies (1σ).
pub fn new_measurement(
    id: String,
    kind: MeasurementKind,
    points: Vec<Enu>,
    point_sigmas: &[Option<f64>],
    author: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Measurement, MeasureError> {
    let value = value(kind, &points)?;
    let sigma = point_sigmas
        .iter()
        .try_fold(0.0f64, |acc, s| s.map(|s| acc.max(s)));
    let uncertainty = match sigma {
        Some(s) if !point_sigmas.is_empty() => Some(uncertainty(kind, &points, s)?),
        _ => None,
    };
    Ok(Measurement {
        id,
        kind,
        points,
        value,
        unit: kind.unit().to_string(),
        uncertainty,
        label: String::new(),
        created_by: author.to_string(),
        created_at: Some(at),
    })
}

/// "12.34 m ± 0.14 m", "85.2° ± 0.6°".
pub fn format_value(kind: MeasurementKind, value: f64, uncertainty: Option<f64>) -> String {
    let unit = kind.unit();
    let digits = if kind == MeasurementKind::Angle { 1 } else { 2 };
    let sep = if unit == "°" { "" } else { " " };
    match uncertainty {
        Some(u) => format!("{value:.digits$}{sep}{unit} ± {u:.digits$}{sep}{unit}"),
        None => format!("{value:.digits$}{sep}{unit} (accuracy not stated)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(e: f64, n: f64, u: f64) -> Enu {
        Enu::new(e, n, u)
    }

    #[test]
    fn values() {
        assert_eq!(
            value(MeasurementKind::Distance, &[p(0., 0., 0.), p(3., 4., 0.)]).unwrap(),
            5.0
        );
        assert_eq!(
            value(
                MeasurementKind::Path,
                &[p(0., 0., 0.), p(3., 4., 0.), p(3., 4., 2.)]
            )
            .unwrap(),
            7.0
        );
        assert_eq!(
            value(MeasurementKind::Height, &[p(0., 0., 10.), p(30., 4., 12.5)]).unwrap(),
            2.5
        );
        let square = [p(0., 0., 5.), p(4., 0., 5.), p(4., 4., 5.), p(0., 4., 5.)];
        assert!((value(MeasurementKind::Area, &square).unwrap() - 16.0).abs() < 1e-12);
        // A 45° slope: the area on the slope is √2 larger than on the map.
        let slope = [p(0., 0., 0.), p(1., 0., 0.), p(1., 1., 1.), p(0., 1., 1.)];
        assert!((value(MeasurementKind::Area, &slope).unwrap() - 2f64.sqrt()).abs() < 1e-12);
        let right = [p(1., 0., 0.), p(0., 0., 0.), p(0., 1., 0.)];
        assert!((value(MeasurementKind::Angle, &right).unwrap() - 90.0).abs() < 1e-9);
    }

    #[test]
    fn far_from_the_origin_keeps_precision() {
        let (e, n) = (512_345.678, 5_761_234.567);
        let square = [
            p(e, n, 5.),
            p(e + 0.1, n, 5.),
            p(e + 0.1, n + 0.1, 5.),
            p(e, n + 0.1, 5.),
        ];
        assert!((value(MeasurementKind::Area, &square).unwrap() - 0.01).abs() < 1e-9);
    }

    #[test]
    fn wrong_point_counts_are_errors() {
        assert!(value(MeasurementKind::Distance, &[p(0., 0., 0.)]).is_err());
        assert!(value(MeasurementKind::Angle, &[p(0., 0., 0.), p(1., 0., 0.)]).is_err());
        assert!(
            value(
                MeasurementKind::Angle,
                &[p(0., 0., 0.), p(0., 0., 0.), p(1., 0., 0.)]
            )
            .is_err()
        );
    }

    #[test]
    fn uncertainty_matches_closed_forms() {
        let s = 0.1;
        // Distance and height difference: σ√2.
        let d = uncertainty(
            MeasurementKind::Distance,
            &[p(0., 0., 0.), p(3., 4., 0.)],
            s,
        )
        .unwrap();
        assert!((d - s * 2f64.sqrt()).abs() < 1e-6, "{d}");
        let h = uncertainty(MeasurementKind::Height, &[p(0., 0., 0.), p(3., 4., 1.)], s).unwrap();
        assert!((h - s * 2f64.sqrt()).abs() < 1e-6, "{h}");
        // Path of n collinear segments: the inner points' along-track errors cancel.
        let path = uncertainty(
            MeasurementKind::Path,
            &[p(0., 0., 0.), p(1., 0., 0.), p(2., 0., 0.)],
            s,
        )
        .unwrap();
        assert!((path - s * 2f64.sqrt()).abs() < 1e-6, "{path}");
        // Right angle with unit arms: |∂θ/∂a| = 1/|a| = 1, |∂θ/∂c| = 1, |∂θ/∂vertex| = √2,
        // so σθ = σ·√(1 + 1 + 2) radians.
        let a = uncertainty(
            MeasurementKind::Angle,
            &[p(1., 0., 0.), p(0., 0., 0.), p(0., 1., 0.)],
            s,
        )
        .unwrap();
        assert!((a - (s * 4f64.sqrt()).to_degrees()).abs() < 1e-4, "{a}");
    }

    #[test]
    fn formatting() {
        assert_eq!(
            format_value(MeasurementKind::Distance, 12.345, Some(0.1414)),
            "12.35 m ± 0.14 m"
        );
        assert_eq!(
            format_value(MeasurementKind::Angle, 85.21, Some(0.6)),
            "85.2° ± 0.6°"
        );
        assert_eq!(
            format_value(MeasurementKind::Area, 16.0, None),
            "16.00 m² (accuracy not stated)"
        );
    }

    #[test]
    fn a_new_measurement_takes_the_worst_stated_accuracy() {
        let at = chrono::Utc::now();
        let pts = vec![p(0., 0., 0.), p(3., 4., 0.)];
        let m = new_measurement(
            "M1".into(),
            MeasurementKind::Distance,
            pts.clone(),
            &[Some(0.02), Some(0.05)],
            "alice",
            at,
        )
        .unwrap();
        assert_eq!((m.value, m.unit.as_str()), (5.0, "m"));
        // Both endpoints ±0.05 m along the line: σ = 0.05·√2.
        assert!((m.uncertainty.unwrap() - 0.05 * 2f64.sqrt()).abs() < 1e-6);
        let unknown = new_measurement(
            "M2".into(),
            MeasurementKind::Distance,
            pts,
            &[Some(0.02), None],
            "alice",
            at,
        )
        .unwrap();
        assert_eq!(unknown.uncertainty, None);
    }
}
