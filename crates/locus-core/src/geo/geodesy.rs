//! WGS84 geodesy in f64: geodetic ↔ ECEF ↔ local East-North-Up, and the one mapping from
//! ENU to the 3D view's axes. Everything that places a fact on Earth goes through here.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

/// WGS84 semi-major axis in metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 first eccentricity squared.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);
/// WGS84 semi-minor axis in metres.
pub const WGS84_B: f64 = WGS84_A * (1.0 - WGS84_F);

/// A point on the WGS84 ellipsoid: degrees and ellipsoidal height in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geodetic {
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid (not above sea level), metres.
    pub height_m: f64,
}

/// Earth-centred, Earth-fixed Cartesian coordinates, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ecef {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

/// A position in a case's local East-North-Up frame, metres from the case origin.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Enu {
    pub east_m: f64,
    pub north_m: f64,
    pub up_m: f64,
}

impl Enu {
    pub const ZERO: Enu = Enu {
        east_m: 0.0,
        north_m: 0.0,
        up_m: 0.0,
    };

    pub fn new(east_m: f64, north_m: f64, up_m: f64) -> Self {
        Self {
            east_m,
            north_m,
            up_m,
        }
    }

    pub fn to_vector(self) -> Vector3<f64> {
        Vector3::new(self.east_m, self.north_m, self.up_m)
    }

    pub fn from_vector(v: Vector3<f64>) -> Self {
        Self::new(v.x, v.y, v.z)
    }

    pub fn distance(self, other: Enu) -> f64 {
        (self.to_vector() - other.to_vector()).norm()
    }

    pub fn horizontal_distance(self, other: Enu) -> f64 {
        (self.east_m - other.east_m).hypot(self.north_m - other.north_m)
    }

    pub fn lerp(self, other: Enu, t: f64) -> Enu {
        Enu::from_vector(self.to_vector() + (other.to_vector() - self.to_vector()) * t)
    }
}

impl Geodetic {
    pub fn new(lat_deg: f64, lon_deg: f64, height_m: f64) -> Self {
        Self {
            lat_deg,
            lon_deg,
            height_m,
        }
    }

    /// Checks the ranges a geodetic position must lie in; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if !(-90.0..=90.0).contains(&self.lat_deg) {
            return Err(format!("lat_deg {} is outside -90..90", self.lat_deg));
        }
        if !(-180.0..=180.0).contains(&self.lon_deg) {
            return Err(format!("lon_deg {} is outside -180..180", self.lon_deg));
        }
        if !self.height_m.is_finite() || self.height_m.abs() > 100_000.0 {
            return Err(format!(
                "height_m {} is not a plausible ellipsoidal height",
                self.height_m
            ));
        }
        Ok(())
    }

    pub fn to_ecef(&self) -> Ecef {
        let (lat, lon) = (self.lat_deg.to_radians(), self.lon_deg.to_radians());
        let (sin_lat, cos_lat) = lat.sin_cos();
        let (sin_lon, cos_lon) = lon.sin_cos();
        // Radius of curvature in the prime vertical.
        let n = WGS84_A / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt();
        Ecef {
            x: (n + self.height_m) * cos_lat * cos_lon,
            y: (n + self.height_m) * cos_lat * sin_lon,
            z: (n * (1.0 - WGS84_E2) + self.height_m) * sin_lat,
        }
    }
}

impl Ecef {
    pub fn to_vector(self) -> Vector3<f64> {
        Vector3::new(self.x, self.y, self.z)
    }

    pub fn from_vector(v: Vector3<f64>) -> Self {
        Self {
            x: v.x,
            y: v.y,
            z: v.z,
        }
    }

    /// ECEF to geodetic by Bowring's method iterated to convergence (sub-micrometre for any
    /// point within 100 km of the surface; a handful of iterations).
    pub fn to_geodetic(self) -> Geodetic {
        let p = self.x.hypot(self.y);
        let lon = self.y.atan2(self.x);
        if p < 1e-9 {
            // On the polar axis: latitude is ±90°, height measured from the pole.
            let lat = if self.z >= 0.0 { 90.0 } else { -90.0 };
            return Geodetic::new(lat, lon.to_degrees(), self.z.abs() - WGS84_B);
        }
        let ep2 = WGS84_E2 / (1.0 - WGS84_E2);
        // Bowring's initial parametric latitude, then Newton-like refinement.
        let mut beta = (self.z * WGS84_A).atan2(p * WGS84_B);
        let mut lat = 0.0;
        for _ in 0..8 {
            let (sb, cb) = beta.sin_cos();
            lat = (self.z + ep2 * WGS84_B * sb * sb * sb)
                .atan2(p - WGS84_E2 * WGS84_A * cb * cb * cb);
            let new_beta = ((1.0 - WGS84_F) * lat.sin()).atan2(lat.cos());
            if (new_beta - beta).abs() < 1e-15 {
                break;
            }
            beta = new_beta;
        }
        let (sin_lat, cos_lat) = lat.sin_cos();
        let n = WGS84_A / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt();
        // Height formula that stays accurate near the poles as well as the equator.
        let height = p * cos_lat + self.z * sin_lat - WGS84_A * WGS84_A / n;
        Geodetic::new(lat.to_degrees(), lon.to_degrees(), height)
    }
}

/// A local East-North-Up frame tangent to the ellipsoid at an origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnuFrame {
    origin: Geodetic,
    origin_ecef: Vector3<f64>,
    /// Rows are the East, North and Up unit vectors in ECEF.
    ecef_to_enu: Matrix3<f64>,
}

impl EnuFrame {
    pub fn new(origin: Geodetic) -> Self {
        let (lat, lon) = (origin.lat_deg.to_radians(), origin.lon_deg.to_radians());
        let (sl, cl) = lat.sin_cos();
        let (so, co) = lon.sin_cos();
        #[rustfmt::skip]
        let ecef_to_enu = Matrix3::new(
            -so,       co,      0.0,
            -sl * co, -sl * so, cl,
             cl * co,  cl * so, sl,
        );
        Self {
            origin,
            origin_ecef: origin.to_ecef().to_vector(),
            ecef_to_enu,
        }
    }

    pub fn origin(&self) -> Geodetic {
        self.origin
    }

    pub fn ecef_to_enu(&self, p: Ecef) -> Enu {
        Enu::from_vector(self.ecef_to_enu * (p.to_vector() - self.origin_ecef))
    }

    pub fn enu_to_ecef(&self, p: Enu) -> Ecef {
        Ecef::from_vector(self.ecef_to_enu.transpose() * p.to_vector() + self.origin_ecef)
    }

    pub fn geodetic_to_enu(&self, p: Geodetic) -> Enu {
        self.ecef_to_enu(p.to_ecef())
    }

    pub fn enu_to_geodetic(&self, p: Enu) -> Geodetic {
        self.enu_to_ecef(p).to_geodetic()
    }
}

/// The one mapping from the case's ENU frame to the 3D view's axes (Bevy: Y up, right-handed):
/// x = East, y = Up, z = −North. Returns f64; narrowing to f32 happens at the render boundary.
pub fn enu_to_view(p: Enu) -> [f64; 3] {
    [p.east_m, p.up_m, -p.north_m]
}

/// Inverse of [`enu_to_view`].
pub fn view_to_enu(v: [f64; 3]) -> Enu {
    Enu::new(v[0], -v[2], v[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    #[test]
    fn reference_points_on_the_ellipsoid() {
        // Equator / prime meridian: x = a.
        let e = Geodetic::new(0.0, 0.0, 0.0).to_ecef();
        assert_abs_diff_eq!(e.x, 6_378_137.0, epsilon = 1e-6);
        assert_abs_diff_eq!(e.y, 0.0, epsilon = 1e-6);
        // North pole: z = b = 6 356 752.314 245 m (published WGS84 semi-minor axis).
        let p = Geodetic::new(90.0, 0.0, 0.0).to_ecef();
        assert_abs_diff_eq!(p.z, 6_356_752.314_245, epsilon = 1e-3);
        assert_abs_diff_eq!(p.to_geodetic().lat_deg, 90.0, epsilon = 1e-12);
        // Equator, 90°E, 1000 m up.
        let q = Geodetic::new(0.0, 90.0, 1000.0).to_ecef();
        assert_abs_diff_eq!(q.y, 6_379_137.0, epsilon = 1e-6);
    }

    #[test]
    fn published_example_geographiclib() {
        // GeographicLib CartConvert documentation: 33.3 44.4 6000 -> 3816209.60 3737108.55 3485109.57
        let e = Geodetic::new(33.3, 44.4, 6000.0).to_ecef();
        assert_abs_diff_eq!(e.x, 3_816_209.60, epsilon = 0.006);
        assert_abs_diff_eq!(e.y, 3_737_108.55, epsilon = 0.006);
        assert_abs_diff_eq!(e.z, 3_485_109.57, epsilon = 0.006);
        let back = e.to_geodetic();
        assert_abs_diff_eq!(back.lat_deg, 33.3, epsilon = 1e-11);
        assert_abs_diff_eq!(back.lon_deg, 44.4, epsilon = 1e-11);
        assert_abs_diff_eq!(back.height_m, 6000.0, epsilon = 1e-6);
    }

    #[test]
    fn published_example_epsg_guidance_note_7_2() {
        // IOGP/EPSG Guidance Note 7-2, geographic/geocentric (EPSG 9602) and
        // geocentric/topocentric (EPSG 9836) worked examples, WGS84.
        let lat = 53.0 + 48.0 / 60.0 + 33.820 / 3600.0;
        let lon = 2.0 + 7.0 / 60.0 + 46.380 / 3600.0;
        let e = Geodetic::new(lat, lon, 73.0).to_ecef();
        assert_abs_diff_eq!(e.x, 3_771_793.968, epsilon = 0.001);
        assert_abs_diff_eq!(e.y, 140_253.342, epsilon = 0.001);
        assert_abs_diff_eq!(e.z, 5_124_304.349, epsilon = 0.001);
        let frame = EnuFrame::new(Geodetic::new(55.0, 5.0, 200.0));
        let t = frame.ecef_to_enu(e);
        assert_abs_diff_eq!(t.east_m, -189_013.869, epsilon = 0.001);
        assert_abs_diff_eq!(t.north_m, -128_642.040, epsilon = 0.001);
        assert_abs_diff_eq!(t.up_m, -4_220.171, epsilon = 0.001);
    }

    #[test]
    fn enu_axes_point_the_right_way() {
        let frame = EnuFrame::new(Geodetic::new(52.0, 5.0, 10.0));
        let north = frame.geodetic_to_enu(Geodetic::new(52.001, 5.0, 10.0));
        assert!(
            north.north_m > 110.0 && north.east_m.abs() < 1e-6,
            "{north:?}"
        );
        let east = frame.geodetic_to_enu(Geodetic::new(52.0, 5.001, 10.0));
        assert!(east.east_m > 60.0 && east.north_m.abs() < 0.01, "{east:?}");
        let up = frame.geodetic_to_enu(Geodetic::new(52.0, 5.0, 110.0));
        assert_abs_diff_eq!(up.up_m, 100.0, epsilon = 1e-6);
    }

    #[test]
    fn view_axes_are_east_up_minus_north() {
        assert_eq!(enu_to_view(Enu::new(1.0, 2.0, 3.0)), [1.0, 3.0, -2.0]);
        assert_eq!(view_to_enu([1.0, 3.0, -2.0]), Enu::new(1.0, 2.0, 3.0));
    }

    #[test]
    fn agrees_with_map_3d() {
        let cases: [(f64, f64, f64); 5] = [
            (52.0, 5.0, 160.0),
            (-33.9, 18.4, 20.0),
            (64.1, -21.9, 5.0),
            (0.5, 179.9, -30.0),
            (-77.8, 166.7, 2500.0),
        ];
        for (lat, lon, h) in cases {
            let (x, y, z) = map_3d::geodetic2ecef(
                lat.to_radians(),
                lon.to_radians(),
                h,
                map_3d::Ellipsoid::WGS84,
            );
            let ours = Geodetic::new(lat, lon, h).to_ecef();
            assert_abs_diff_eq!(ours.x, x, epsilon = 1e-6);
            assert_abs_diff_eq!(ours.y, y, epsilon = 1e-6);
            assert_abs_diff_eq!(ours.z, z, epsilon = 1e-6);

            let (lat2, lon2, h2) = (lat + 0.2, lon - 0.3, h + 40.0);
            let (e, n, u) = map_3d::geodetic2enu(
                lat2.to_radians(),
                lon2.to_radians(),
                h2,
                lat.to_radians(),
                lon.to_radians(),
                h,
                map_3d::Ellipsoid::WGS84,
            );
            let enu = EnuFrame::new(Geodetic::new(lat, lon, h))
                .geodetic_to_enu(Geodetic::new(lat2, lon2, h2));
            assert_abs_diff_eq!(enu.east_m, e, epsilon = 1e-5);
            assert_abs_diff_eq!(enu.north_m, n, epsilon = 1e-5);
            assert_abs_diff_eq!(enu.up_m, u, epsilon = 1e-5);
        }
    }

    proptest! {
        #[test]
        fn geodetic_round_trip(lat in -89.999f64..89.999, lon in -180.0f64..180.0, h in -500.0f64..9000.0) {
            let back = Geodetic::new(lat, lon, h).to_ecef().to_geodetic();
            prop_assert!((back.lat_deg - lat).abs() < 1e-10);
            prop_assert!((back.lon_deg - lon).abs() < 1e-10);
            prop_assert!((back.height_m - h).abs() < 1e-5);
        }

        /// Within 50 km of the origin, geodetic -> ENU -> geodetic agrees to well under 1 mm.
        #[test]
        fn enu_round_trip_within_50_km(
            lat0 in -80.0f64..80.0, lon0 in -180.0f64..180.0, h0 in -100.0f64..3000.0,
            e in -35_000.0f64..35_000.0, n in -35_000.0f64..35_000.0, u in -200.0f64..2000.0,
        ) {
            let frame = EnuFrame::new(Geodetic::new(lat0, lon0, h0));
            let p = Enu::new(e, n, u);
            let g = frame.enu_to_geodetic(p);
            let back = frame.geodetic_to_enu(g);
            prop_assert!(back.distance(p) < 1e-3, "{back:?} vs {p:?}");
        }
    }
}
