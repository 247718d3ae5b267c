//! Georeferencing: projected CRSs, the CRS a LAS file declares, control-point fits and the
//! f32 precision of raw coordinates.
//!
//! Fixture: `tests/fixtures/autzen_trim.laz`, the Autzen Stadium (Eugene, Oregon) LiDAR
//! subset from laspy's test data (laspy/laspy @ 1a1fab78, BSD-2-Clause style licence in
//! `tests/fixtures/LICENSE_laspy.txt`); NAD83(HARN) / Oregon GIC Lambert, international feet.

use std::path::PathBuf;

use approx::assert_abs_diff_eq;
use locus_core::geo::crs::{Crs, Datum, LinearUnit, crs_from_geokeys, las_crs};
use locus_core::geo::geodesy::{Enu, EnuFrame, Geodetic};
use locus_core::geo::placement::{
    ControlPoint, Placement, f32_precision_warning, f32_step, fit_control_points, model_to_enu,
    recentre,
};
use nalgebra::{Matrix4, Rotation3, Vector3, Vector4};
use proptest::prelude::*;

/// Mean Earth radius used for the curvature estimate d²/2R.
const R: f64 = 6_371_000.0;

fn autzen() -> las::Reader {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/autzen_trim.laz");
    las::Reader::from_path(path).expect("autzen fixture")
}

fn header_bounds(h: &las::Header) -> ([f64; 3], [f64; 3]) {
    let b = h.bounds();
    ([b.min.x, b.min.y, b.min.z], [b.max.x, b.max.y, b.max.z])
}

#[test]
fn existing_placement_json_is_unchanged() {
    let cases = [
        (Placement::Identity, r#"{"method":"identity"}"#),
        (
            Placement::Offset {
                east_m: 1.5,
                north_m: -2.0,
                up_m: 0.0,
            },
            r#"{"method":"offset","east_m":1.5,"north_m":-2.0,"up_m":0.0}"#,
        ),
        (
            Placement::Matrix {
                rows: [
                    [1.0, 0.0, 0.0, 2.0],
                    [0.0, 1.0, 0.0, 0.0],
                    [0.0, 0.0, 1.0, 0.0],
                    [0.0, 0.0, 0.0, 1.0],
                ],
            },
            r#"{"method":"matrix","rows":[[1.0,0.0,0.0,2.0],[0.0,1.0,0.0,0.0],[0.0,0.0,1.0,0.0],[0.0,0.0,0.0,1.0]]}"#,
        ),
    ];
    for (p, json) in cases {
        assert_eq!(serde_json::to_string(&p).unwrap(), json);
        assert_eq!(serde_json::from_str::<Placement>(json).unwrap(), p);
    }
}

#[test]
fn projected_placement_json() {
    let p = Placement::Projected {
        crs: Crs::from_epsg(32631).unwrap(),
        offset: [500_000.0, 5_800_000.0, 0.0],
        geoid_separation_m: Some(43.2),
    };
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(
        json,
        r#"{"method":"projected","crs":{"kind":"utm","zone":31,"datum":"wgs84"},"offset":[500000.0,5800000.0,0.0],"geoid_separation_m":43.2}"#
    );
    assert_eq!(serde_json::from_str::<Placement>(&json).unwrap(), p);
    let minimal: Placement =
        serde_json::from_str(r#"{"method":"projected","crs":{"kind":"utm","zone":31}}"#).unwrap();
    assert_eq!(
        minimal,
        Placement::Projected {
            crs: Crs::Utm {
                zone: 31,
                south: false,
                datum: Datum::Wgs84
            },
            offset: [0.0; 3],
            geoid_separation_m: None
        }
    );
    assert!(
        serde_json::from_str::<Placement>(
            r#"{"method":"projected","crs":{"kind":"utm","zone":31},"zone":3}"#
        )
        .is_err()
    );
    let bad = Placement::Projected {
        crs: Crs::Utm {
            zone: 61,
            south: false,
            datum: Datum::Wgs84,
        },
        offset: [0.0; 3],
        geoid_separation_m: None,
    };
    assert!(bad.validate().unwrap_err().contains("zone 61"));
}

#[test]
fn f32_precision_warning_names_the_step() {
    assert_eq!(
        f32_precision_warning([0.0; 3], [5_000_000.0, 10.0, 0.0]).as_deref(),
        Some(
            "raw coordinates up to 5,000,000 m lose precision in f32: 0.5 m steps; recentred in f64 before rendering"
        )
    );
    // UTM northing in the Netherlands: 5.8e6 m → 0.5 m steps; ECEF ~6.4e6 m → 0.5 m.
    assert_eq!(f32_step(5_800_000.0), 0.5);
    assert_eq!(f32_step(6_400_000.0), 0.5);
    assert_eq!(f32_step(600_000.0), 0.0625);
    // A few kilometres of case ENU are fine (< 1 mm steps); 20 km is not.
    assert_eq!(f32_precision_warning([-8000.0; 3], [8000.0; 3]), None);
    assert!(
        f32_precision_warning([0.0; 3], [20_000.0, 0.0, 0.0])
            .unwrap()
            .contains("0.001953125 m steps")
    );
}

#[test]
fn recentre_keeps_millimetres_of_large_coordinates() {
    let base = [636_512.345_678, 5_849_123.456_789, 123.456];
    let pts: Vec<[f64; 3]> = (0..100)
        .map(|i| {
            let d = i as f64 * 0.001;
            [base[0] + d, base[1] - d, base[2] + 2.0 * d]
        })
        .collect();
    let (c, local) = recentre(&pts);
    for (p, l) in pts.iter().zip(&local) {
        for k in 0..3 {
            assert!((c[k] + l[k] as f64 - p[k]).abs() < 1e-6);
        }
    }
    // The same narrowing without recentring loses up to a quarter metre.
    let lost = pts
        .iter()
        .map(|p| (p[1] as f32 as f64 - p[1]).abs())
        .fold(0.0, f64::max);
    assert!(lost > 0.05, "{lost}");
}

#[test]
fn autzen_declares_oregon_lambert_feet_and_lands_in_eugene() {
    let reader = autzen();
    let header = reader.header();
    let crs = las_crs(header).unwrap().expect("a declared CRS");
    match crs {
        Crs::LambertConic2sp {
            lat_0_deg,
            lon_0_deg,
            lat_1_deg,
            lat_2_deg,
            false_easting,
            false_northing,
            datum,
            unit,
        } => {
            assert_eq!(
                (lat_0_deg, lon_0_deg, lat_1_deg, lat_2_deg),
                (41.75, -120.5, 43.0, 45.5)
            );
            assert_abs_diff_eq!(false_easting, 1_312_335.958, epsilon = 1e-3);
            assert_eq!(false_northing, 0.0);
            assert_eq!(datum, Datum::Nad83);
            assert_eq!(unit, LinearUnit::Foot);
        }
        other => panic!("{other:?}"),
    }
    // Same as EPSG:2994 (which Locus does not tell apart from 2992: no datum shift).
    assert_eq!(crs.epsg(), Some(2992));
    assert!(crs.datum_warning().unwrap().contains("1–2 m"));

    // The GeoTIFF keys alone say the same.
    let keys = header.get_geotiff_crs().unwrap().expect("GeoTIFF keys");
    let from_keys = crs_from_geokeys(&keys).unwrap().expect("a CRS from keys");
    assert_eq!(from_keys.epsg(), Some(2992), "{from_keys:?}");

    // The cloud's centre is at the Autzen Stadium, Eugene: 44.0507 N, 123.0712 W.
    let (lo, hi) = header_bounds(header);
    let c: [f64; 3] = std::array::from_fn(|k| 0.5 * (lo[k] + hi[k]));
    let g = crs.to_geodetic(c[0], c[1], c[2]);
    assert_abs_diff_eq!(g.lat_deg, 44.0507, epsilon = 0.002);
    assert_abs_diff_eq!(g.lon_deg, -123.0712, epsilon = 0.002);
    // Heights are in feet: 406–520 ft ≈ 124–159 m.
    assert_abs_diff_eq!(g.height_m, c[2] * 0.3048, epsilon = 1e-9);
}

#[test]
fn autzen_placed_by_its_crs() {
    let mut reader = autzen();
    let crs = las_crs(reader.header()).unwrap().unwrap();
    let bounds = header_bounds(reader.header());
    let origin = crs.to_geodetic(636_500.0, 849_200.0, 0.0);
    let frame = EnuFrame::new(Geodetic::new(origin.lat_deg, origin.lon_deg, 120.0));
    let placement = Placement::Projected {
        crs,
        offset: [0.0; 3],
        geoid_separation_m: Some(-21.0),
    };
    let map = model_to_enu(&placement, &frame, Some(bounds)).unwrap();
    let joined = map.warnings.join("\n");
    assert!(joined.contains("NAD83"), "{joined}");
    assert!(
        joined.contains("raw coordinates up to 849,498 ft lose precision in f32: 0.0625 ft steps"),
        "{joined}"
    );
    assert!(!joined.contains("ellipsoidal"), "{joined}");
    // 359 m × 172 m × 35 m: the tangent matrix is within a few millimetres everywhere
    // (Earth curvature, half-diagonal²/2R ≈ 3 mm).
    let half_diag_m = 0.3048 * 0.5 * (bounds.1[0] - bounds.0[0]).hypot(bounds.1[1] - bounds.0[1]);
    let curvature = half_diag_m * half_diag_m / (2.0 * R);
    println!(
        "Autzen: linearisation error {:.4} m, curvature estimate {:.4} m",
        map.linearisation_error_m, curvature
    );
    assert!(
        map.linearisation_error_m < 0.005,
        "{}",
        map.linearisation_error_m
    );
    assert!(map.linearisation_error_m > 0.5 * curvature);

    // Real points: exact vs matrix, and recentred f32 vertices through matrix_about_anchor.
    let data = reader.read_points(5000).unwrap();
    let pts: Vec<[f64; 3]> = data
        .points()
        .map(|p| {
            let p = p.unwrap();
            [p.x, p.y, p.z]
        })
        .collect();
    assert_eq!(pts.len(), 5000);
    let local: Vec<[f32; 3]> = pts
        .iter()
        .map(|p| std::array::from_fn(|k| (p[k] - map.anchor[k]) as f32))
        .collect();
    let m = map.matrix_about_anchor();
    let mut worst: f64 = 0.0;
    for (p, l) in pts.iter().zip(&local) {
        let exact = map.map_point_exact(*p);
        let v = m * Vector4::new(l[0] as f64, l[1] as f64, l[2] as f64, 1.0);
        worst = worst.max(exact.distance(Enu::new(v.x, v.y, v.z)));
    }
    assert!(worst < 0.005, "{worst}");
    // Orthometric heights lifted by the stated geoid separation: −21 m.
    let no_n = model_to_enu(
        &Placement::Projected {
            crs,
            offset: [0.0; 3],
            geoid_separation_m: None,
        },
        &frame,
        Some(bounds),
    )
    .unwrap();
    assert!(no_n.warnings.join("\n").contains("ellipsoidal"));
    let d = no_n.map_point_exact(pts[0]).up_m - map.map_point_exact(pts[0]).up_m;
    assert_abs_diff_eq!(d, 21.0, epsilon = 0.001);
}

fn utm_case(half_m: f64) -> (Crs, EnuFrame, ([f64; 3], [f64; 3])) {
    // Amsterdam, UTM zone 31N; the case origin is the model's centre.
    let crs = Crs::from_epsg(32631).unwrap();
    let origin = Geodetic::new(52.3731, 4.8922, 45.0);
    let [e, n, h] = crs.from_geodetic(origin);
    let bounds = (
        [e - half_m, n - half_m, h - 20.0],
        [e + half_m, n + half_m, h + 20.0],
    );
    (crs, EnuFrame::new(origin), bounds)
}

#[test]
fn utm_linearisation_error_is_earth_curvature() {
    for half in [50.0, 100.0, 250.0, 500.0] {
        let (crs, frame, bounds) = utm_case(half);
        let placement = Placement::Projected {
            crs,
            offset: [0.0; 3],
            geoid_separation_m: None,
        };
        let map = model_to_enu(&placement, &frame, Some(bounds)).unwrap();
        // The anchor maps exactly, through the CRS: the origin lands on ENU zero.
        let a = map.map_point_affine(map.anchor);
        assert!(a.distance(Enu::ZERO) < 1e-6, "{a:?}");
        assert!(map.map_point_exact(map.anchor).distance(Enu::ZERO) < 1e-6);
        let d = half * std::f64::consts::SQRT_2;
        let curvature = d * d / (2.0 * R);
        println!(
            "UTM ±{half} m: linearisation error {:.5} m, d²/2R {:.5} m",
            map.linearisation_error_m, curvature
        );
        assert!(
            map.linearisation_error_m > 0.8 * curvature
                && map.linearisation_error_m < 1.3 * curvature,
            "±{half}: {} vs {curvature}",
            map.linearisation_error_m
        );
        if half <= 100.0 {
            assert!(map.linearisation_error_m < 0.002);
        }
        let warned = map.warnings.iter().any(|w| w.contains("off by up to"));
        assert!(if half <= 100.0 {
            !warned
        } else if half >= 500.0 {
            warned
        } else {
            true
        });
        assert!(map.warnings.iter().any(|w| w.contains("0.5 m steps")));
    }
}

#[test]
fn utm_jacobian_has_grid_convergence_and_scale() {
    let (crs, frame, bounds) = utm_case(100.0);
    let placement = Placement::Projected {
        crs,
        offset: [0.0; 3],
        geoid_separation_m: None,
    };
    let m = model_to_enu(&placement, &frame, Some(bounds))
        .unwrap()
        .matrix;
    // Grid north is rotated from true north by the convergence γ; for TM, tan γ = tan Δλ sin φ
    // to first order: Δλ = 1.8922° from the zone's central meridian 3°E, φ = 52.3731°.
    let gamma = m[(0, 1)].atan2(m[(1, 1)]).to_degrees();
    let expected = (1.8922f64.to_radians().tan() * 52.3731f64.to_radians().sin())
        .atan()
        .to_degrees();
    assert_abs_diff_eq!(gamma, expected, epsilon = 0.01);
    // Scale k ≈ k0 (1 + (x/R)²/2) with x ≈ 128 km from the central meridian: ≈ 0.99980.
    let k = m[(0, 0)].hypot(m[(1, 0)]);
    let [e, _, _] = crs.from_geodetic(frame.origin());
    let x = e - 500_000.0;
    assert_abs_diff_eq!(
        1.0 / k,
        0.9996 * (1.0 + x * x / (2.0 * R * R)),
        epsilon = 2e-5
    );
    assert_abs_diff_eq!(m[(2, 2)], 1.0, epsilon = 1e-6);
}

#[test]
fn projected_offset_geographic_and_ecef() {
    let (crs, frame, (lo, hi)) = utm_case(100.0);
    let shift = [lo[0].floor(), lo[1].floor(), 0.0];
    let shifted = Placement::Projected {
        crs,
        offset: shift,
        geoid_separation_m: None,
    };
    let local = (
        std::array::from_fn(|k| lo[k] - shift[k]),
        std::array::from_fn(|k| hi[k] - shift[k]),
    );
    let a = model_to_enu(&shifted, &frame, Some(local)).unwrap();
    let b = model_to_enu(
        &Placement::Projected {
            crs,
            offset: [0.0; 3],
            geoid_separation_m: None,
        },
        &frame,
        Some((lo, hi)),
    )
    .unwrap();
    let p = [lo[0] + 13.0, lo[1] + 77.0, 40.0];
    let q = [p[0] - shift[0], p[1] - shift[1], p[2]];
    assert!(a.map_point_exact(q).distance(b.map_point_exact(p)) < 1e-9);
    // Small raw coordinates: no precision warning for the shifted model.
    assert!(!a.warnings.iter().any(|w| w.contains("f32")));

    // Geographic degrees: 0.002° boxes are ~200 m; within millimetres.
    let o = frame.origin();
    let geo = Placement::Projected {
        crs: Crs::Geographic,
        offset: [0.0; 3],
        geoid_separation_m: None,
    };
    let gb = (
        [o.lon_deg - 0.001, o.lat_deg - 0.001, 40.0],
        [o.lon_deg + 0.001, o.lat_deg + 0.001, 50.0],
    );
    let g = model_to_enu(&geo, &frame, Some(gb)).unwrap();
    assert!(
        g.linearisation_error_m < 0.005,
        "{}",
        g.linearisation_error_m
    );
    assert!(
        g.map_point_exact([o.lon_deg, o.lat_deg, o.height_m])
            .distance(Enu::ZERO)
            < 1e-6
    );

    // ECEF is affine: the matrix is exact to rounding.
    let ecef = Placement::Projected {
        crs: Crs::Ecef,
        offset: [0.0; 3],
        geoid_separation_m: None,
    };
    let c = o.to_ecef();
    let eb = (
        [c.x - 300.0, c.y - 300.0, c.z - 300.0],
        [c.x + 300.0, c.y + 300.0, c.z + 300.0],
    );
    let e = model_to_enu(&ecef, &frame, Some(eb)).unwrap();
    assert!(
        e.linearisation_error_m < 1e-6,
        "{}",
        e.linearisation_error_m
    );
    assert!(!e.warnings.iter().any(|w| w.contains("ellipsoidal")));
}

fn similarity(scale: f64, axis_angle: Vector3<f64>, t: Vector3<f64>) -> Matrix4<f64> {
    let r = Rotation3::new(axis_angle);
    let mut m = Matrix4::identity();
    m.fixed_view_mut::<3, 3>(0, 0)
        .copy_from(&(r.matrix() * scale));
    m.fixed_view_mut::<3, 1>(0, 3).copy_from(&t);
    m
}

fn control_points(m: &Matrix4<f64>, frame: &EnuFrame, model: &[[f64; 3]]) -> Vec<ControlPoint> {
    model
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let v = m * Vector4::new(p[0], p[1], p[2], 1.0);
            ControlPoint {
                id: format!("CP{i}"),
                model: *p,
                geodetic: frame.enu_to_geodetic(Enu::new(v.x, v.y, v.z)),
                residual_m: None,
            }
        })
        .collect()
}

const MODEL_PTS: [[f64; 3]; 5] = [
    [0.0, 0.0, 0.0],
    [40.0, 2.0, 0.5],
    [38.0, 31.0, 1.0],
    [-3.0, 28.0, 4.0],
    [18.0, 15.0, 9.0],
];

#[test]
fn control_points_recover_a_known_similarity() {
    let frame = EnuFrame::new(Geodetic::new(51.0, -1.5, 80.0));
    let truth = similarity(
        0.98,
        Vector3::new(0.02, -0.01, 40f64.to_radians()),
        Vector3::new(12.0, -7.0, 3.0),
    );
    let pts = control_points(&truth, &frame, &MODEL_PTS);
    let fit = fit_control_points(&pts, &frame).unwrap();
    assert!((fit.matrix - truth).abs().max() < 1e-7, "{}", fit.matrix);
    assert_abs_diff_eq!(fit.scale, 0.98, epsilon = 1e-9);
    assert!(fit.rms_m < 1e-6);
    assert!(fit.rotation.determinant() > 0.0);

    // One surveyed point 5 cm off to the east: its residual is the largest, and the residuals
    // are stored in the placement.
    let mut noisy = pts.clone();
    let off = frame.geodetic_to_enu(noisy[2].geodetic);
    noisy[2].geodetic = frame.enu_to_geodetic(Enu::new(off.east_m + 0.05, off.north_m, off.up_m));
    let (placement, fit) = Placement::from_control_points(noisy, &frame).unwrap();
    println!(
        "control points: residuals {:?} m, rms {:.4} m",
        fit.residuals
            .iter()
            .map(|r| (r.distance_m * 1e4).round() / 1e4)
            .collect::<Vec<_>>(),
        fit.rms_m
    );
    let worst = (0..5)
        .max_by(|a, b| {
            fit.residuals[*a]
                .distance_m
                .total_cmp(&fit.residuals[*b].distance_m)
        })
        .unwrap();
    assert_eq!(worst, 2);
    assert!(fit.residuals[2].horizontal_m > 0.02 && fit.residuals[2].vertical_m.abs() < 0.01);
    assert!(fit.rms_m > 0.01 && fit.rms_m < 0.05);
    let Placement::ControlPoints {
        points,
        fitted,
        rms_m,
    } = &placement
    else {
        panic!()
    };
    assert_eq!(points[2].residual_m, Some(fit.residuals[2].distance_m));
    assert_eq!(*rms_m, Some(fit.rms_m));
    assert!(fitted.is_some());
    placement.validate().unwrap();
    let json = serde_json::to_string(&placement).unwrap();
    assert!(json.starts_with(r#"{"method":"control_points","points":[{"id":"CP0","model":[0.0,0.0,0.0],"geodetic":{"lat_deg":"#), "{json}");
    // serde_json (without its float_roundtrip feature) may change a last binary digit.
    let Placement::ControlPoints {
        points: back,
        fitted: back_fitted,
        ..
    } = serde_json::from_str::<Placement>(&json).unwrap()
    else {
        panic!()
    };
    assert_eq!(back.len(), 5);
    for (a, b) in back.iter().zip(points) {
        assert_eq!((a.id.as_str(), a.model), (b.id.as_str(), b.model));
        assert_abs_diff_eq!(
            a.residual_m.unwrap(),
            b.residual_m.unwrap(),
            epsilon = 1e-15
        );
    }
    assert!(back_fitted.is_some());

    // The one mapping call reproduces the fit and reports no stale fit.
    let map = model_to_enu(
        &placement,
        &frame,
        Some(([-3.0, 0.0, 0.0], [40.0, 31.0, 9.0])),
    )
    .unwrap();
    assert_eq!(map.matrix, fit.matrix);
    assert_eq!(map.linearisation_error_m, 0.0);
    assert!(map.warnings.is_empty(), "{:?}", map.warnings);
    assert_eq!(map.fit.as_ref().unwrap().residuals, fit.residuals);
    // The same case opened with a moved origin: the stored fit is stale and said so.
    let moved = EnuFrame::new(Geodetic::new(51.0001, -1.5, 80.0));
    let map = model_to_enu(&placement, &moved, None).unwrap();
    assert!(
        map.warnings[0].contains("differs from the fit made now"),
        "{:?}",
        map.warnings
    );
}

#[test]
fn control_points_refuse_too_few_collinear_or_coincident() {
    let frame = EnuFrame::new(Geodetic::new(51.0, -1.5, 80.0));
    let m = similarity(1.0, Vector3::zeros(), Vector3::zeros());
    let two = control_points(&m, &frame, &MODEL_PTS[..2]);
    assert!(
        fit_control_points(&two, &frame)
            .unwrap_err()
            .contains("at least 3 points, got 2")
    );
    let line = control_points(
        &m,
        &frame,
        &[
            [0.0, 0.0, 0.0],
            [1.0, 1.0, 1.0],
            [5.0, 5.0, 5.0],
            [9.0, 9.0, 9.0],
        ],
    );
    let e = fit_control_points(&line, &frame).unwrap_err();
    assert!(e.contains("lie on one line"), "{e}");
    let same = control_points(&m, &frame, &[[3.0, 3.0, 3.0]; 3]);
    assert!(
        fit_control_points(&same, &frame)
            .unwrap_err()
            .contains("coincide")
    );
    // Model triangle fine, but all three surveyed at one spot.
    let mut survey_bad = control_points(&m, &frame, &MODEL_PTS[..3]);
    for p in &mut survey_bad {
        p.geodetic = Geodetic::new(51.0, -1.5, 80.0);
    }
    assert!(
        fit_control_points(&survey_bad, &frame)
            .unwrap_err()
            .contains("surveyed")
    );
    let placement = Placement::ControlPoints {
        points: two,
        fitted: None,
        rms_m: None,
    };
    assert!(placement.validate().is_err());
    assert!(model_to_enu(&placement, &frame, None).is_err());
}

#[test]
fn control_points_never_mirror() {
    // A mirror-image model (x negated) cannot be matched by a proper rotation: the fit stays
    // a rotation and the residuals show the misfit.
    let frame = EnuFrame::new(Geodetic::new(10.0, 20.0, 0.0));
    let m = similarity(1.0, Vector3::zeros(), Vector3::zeros());
    let mut pts = control_points(&m, &frame, &MODEL_PTS);
    for p in &mut pts {
        p.model[0] = -p.model[0];
    }
    let fit = fit_control_points(&pts, &frame).unwrap();
    assert!(fit.rotation.determinant() > 0.0);
    assert!(fit.rms_m > 1.0, "{}", fit.rms_m);
}

proptest! {
    #[test]
    fn control_points_fit_any_similarity(
        scale in 0.01f64..100.0,
        ax in -3.0f64..3.0, ay in -3.0f64..3.0, az in -3.0f64..3.0,
        tx in -2000.0f64..2000.0, ty in -2000.0f64..2000.0, tz in -100.0f64..100.0,
        big in 0.0f64..1.0,
    ) {
        let frame = EnuFrame::new(Geodetic::new(-33.9, 18.4, 20.0));
        // Model coordinates may themselves be large (an unregistered UTM-like export).
        let base = big * 5_000_000.0;
        let model: Vec<[f64; 3]> = MODEL_PTS.iter().map(|p| [p[0] + base, p[1] - base, p[2]]).collect();
        // Keep the mapped points within a few km of the origin.
        let m0 = similarity(scale, Vector3::new(ax, ay, az), Vector3::zeros());
        let c = m0 * Vector4::new(base, -base, 0.0, 1.0);
        let t = Vector3::new(tx, ty, tz) - c.xyz();
        let truth = similarity(scale, Vector3::new(ax, ay, az), t);
        let pts = control_points(&truth, &frame, &model);
        let fit = fit_control_points(&pts, &frame).unwrap();
        prop_assert!((fit.scale / scale - 1.0).abs() < 1e-8);
        prop_assert!(fit.rms_m < 1e-5 * scale.max(1.0), "{}", fit.rms_m);
        for p in &pts {
            let v = fit.matrix * Vector4::new(p.model[0], p.model[1], p.model[2], 1.0);
            let want = frame.geodetic_to_enu(p.geodetic);
            prop_assert!(want.distance(Enu::new(v.x, v.y, v.z)) < 1e-5 * scale.max(1.0));
        }
    }
}
