//! Projected and other coordinate reference systems a model's raw coordinates may be in, and
//! their conversion to WGS84 geodetic positions, all in f64.
//!
//! What is implemented, and why it is our own code: Transverse Mercator (UTM) by Krüger's
//! series to sixth order in n as given by Karney (2011, "Transverse Mercator with an accuracy
//! of a few nanometres", J. Geodesy 85) — accurate to well under a millimetre within a UTM zone
//! and beyond; Lambert conformal conic with two standard parallels (EPSG method 9802) by the
//! closed formulas of IOGP/EPSG Guidance Note 7-2; geographic lat/lon (EPSG:4326) and ECEF
//! (EPSG:4978). Each has its inverse. The formulas are short enough for a court expert to
//! review here, against the published worked examples in this module's tests, and the tests
//! also compare against `proj4rs` (an independent pure-Rust port of PROJ) — no C library.
//!
//! Datums: WGS84, and NAD83 in any of its realisations (NAD83, NAD83(HARN), NAD83(2011)) on
//! the GRS80 ellipsoid. **No datum shift is applied between NAD83 and WGS84**: their latitudes
//! and longitudes are taken as equal, which is wrong by about 1–2 m in North America today.
//! [`Crs::datum_warning`] says so in words the caller shows the user.
//!
//! Heights: the third coordinate is taken as an *ellipsoidal* height in the CRS's linear unit.
//! LAS files and surveys often carry orthometric heights (above the geoid, e.g. NAVD88),
//! which differ from ellipsoidal ones by the geoid undulation (about −20 m in Oregon); a
//! placement may state that separation (see `placement::Placement::Projected`).
//!
//! `tm` and `lcc` hold the projections, `wkt` and `las_header` read the CRS a file declares.
//! Depends on `geo::geodesy` only (and the `las` crate's header types).

mod las_header;
mod lcc;
mod tm;
mod wkt;

use serde::{Deserialize, Serialize};

use crate::geo::geodesy::{Ecef, Geodetic, WGS84_A, WGS84_F};

pub use las_header::{crs_from_geokeys, las_crs};
pub use lcc::LambertConic;
pub use tm::{TransverseMercator, utm};
pub use wkt::crs_from_wkt;

/// An ellipsoid: semi-major axis (metres) and flattening.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipsoid {
    pub a: f64,
    pub f: f64,
}

impl Ellipsoid {
    pub const WGS84: Ellipsoid = Ellipsoid {
        a: WGS84_A,
        f: WGS84_F,
    };
    /// GRS 1980 (EPSG:7019), the ellipsoid of NAD83.
    pub const GRS80: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_222_101,
    };
    /// Clarke 1866 (EPSG:7008), NAD27's ellipsoid: only used by the published test examples.
    pub const CLARKE_1866: Ellipsoid = Ellipsoid {
        a: 6_378_206.4,
        f: 1.0 / 294.978_698_2,
    };
    /// Airy 1830 (EPSG:7001): only used by the published test examples.
    pub const AIRY_1830: Ellipsoid = Ellipsoid {
        a: 6_377_563.396,
        f: 1.0 / 299.324_964_6,
    };

    pub fn e2(&self) -> f64 {
        self.f * (2.0 - self.f)
    }

    pub fn e(&self) -> f64 {
        self.e2().sqrt()
    }
}

/// The geodetic datum of a CRS. NAD83 (any realisation) is treated as GRS80 coordinates
/// equal to WGS84 ones: no datum shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Datum {
    #[default]
    Wgs84,
    /// NAD83, NAD83(HARN), NAD83(CSRS), NAD83(2011): GRS80 ellipsoid.
    Nad83,
}

impl Datum {
    pub fn ellipsoid(self) -> Ellipsoid {
        match self {
            Datum::Wgs84 => Ellipsoid::WGS84,
            Datum::Nad83 => Ellipsoid::GRS80,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS84",
            Datum::Nad83 => "NAD83",
        }
    }
}

/// A linear unit of a projected CRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LinearUnit {
    #[default]
    Metre,
    /// International foot, exactly 0.3048 m (EPSG:9002).
    Foot,
    /// US survey foot, exactly 1200/3937 m (EPSG:9003).
    UsSurveyFoot,
}

impl LinearUnit {
    /// Metres per unit.
    pub fn to_metres(self) -> f64 {
        match self {
            LinearUnit::Metre => 1.0,
            LinearUnit::Foot => 0.3048,
            LinearUnit::UsSurveyFoot => 1200.0 / 3937.0,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LinearUnit::Metre => "metre",
            LinearUnit::Foot => "international foot",
            LinearUnit::UsSurveyFoot => "US survey foot",
        }
    }

    /// The unit whose length in metres is `m` (within 1e-9 relative), if it is one we know.
    pub fn from_metres(m: f64) -> Option<LinearUnit> {
        [
            LinearUnit::Metre,
            LinearUnit::Foot,
            LinearUnit::UsSurveyFoot,
        ]
        .into_iter()
        .find(|u| ((u.to_metres() - m) / m).abs() < 1e-9)
    }
}

/// A coordinate reference system for a model's raw (Z-up) coordinates.
///
/// For every variant `x`, `y`, `z` are: easting, northing, height (projected CRSs, in `unit`);
/// longitude°, latitude°, height m (geographic); X, Y, Z m (ECEF). Heights are ellipsoidal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Crs {
    /// Universal Transverse Mercator, metres (EPSG 326xx/327xx on WGS84, 269xx on NAD83).
    Utm {
        /// 1..=60.
        zone: u8,
        #[serde(default, skip_serializing_if = "is_false")]
        south: bool,
        #[serde(default)]
        datum: Datum,
    },
    /// Lambert conformal conic with two standard parallels (EPSG method 9802). Angles in
    /// degrees; false easting and northing in `unit`, as EPSG states them.
    LambertConic2sp {
        lat_0_deg: f64,
        lon_0_deg: f64,
        lat_1_deg: f64,
        lat_2_deg: f64,
        false_easting: f64,
        false_northing: f64,
        #[serde(default)]
        datum: Datum,
        #[serde(default)]
        unit: LinearUnit,
    },
    /// WGS84 geographic (EPSG:4326): x = longitude°, y = latitude°, z = ellipsoidal height m.
    Geographic,
    /// WGS84 Earth-centred, Earth-fixed (EPSG:4978), metres.
    Ecef,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Crs {
    /// The CRSs Locus knows by EPSG code: 32601–32660 and 32701–32760 (WGS84 / UTM north and
    /// south), 26901–26923 (NAD83 / UTM 1N–23N), 2991–2994 (NAD83 and NAD83(HARN) / Oregon
    /// GIC Lambert, metres and international feet), 4326 and 4978.
    pub fn from_epsg(code: u32) -> Option<Crs> {
        let oregon = |unit: LinearUnit, fe_m: f64| Crs::LambertConic2sp {
            lat_0_deg: 41.75,
            lon_0_deg: -120.5,
            lat_1_deg: 43.0,
            lat_2_deg: 45.5,
            false_easting: fe_m,
            false_northing: 0.0,
            datum: Datum::Nad83,
            unit,
        };
        match code {
            32601..=32660 => Some(Crs::Utm {
                zone: (code - 32600) as u8,
                south: false,
                datum: Datum::Wgs84,
            }),
            32701..=32760 => Some(Crs::Utm {
                zone: (code - 32700) as u8,
                south: true,
                datum: Datum::Wgs84,
            }),
            26901..=26923 => Some(Crs::Utm {
                zone: (code - 26900) as u8,
                south: false,
                datum: Datum::Nad83,
            }),
            // False easting 400 000 m = 1 312 335.958 ft (EPSG states it in feet).
            2991 | 2993 => Some(oregon(LinearUnit::Metre, 400_000.0)),
            2992 | 2994 => Some(oregon(LinearUnit::Foot, 400_000.0 / 0.3048)),
            4326 => Some(Crs::Geographic),
            4978 => Some(Crs::Ecef),
            _ => None,
        }
    }

    /// The EPSG code of this CRS if it is one of [`Crs::from_epsg`]'s (for the Oregon Lambert
    /// CRSs, the NAD83 one: NAD83 and NAD83(HARN) are not told apart).
    pub fn epsg(&self) -> Option<u32> {
        let candidates = match self {
            Crs::Utm { zone, south, datum } => match (datum, south) {
                (Datum::Wgs84, false) => vec![32600 + *zone as u32],
                (Datum::Wgs84, true) => vec![32700 + *zone as u32],
                (Datum::Nad83, false) => vec![26900 + *zone as u32],
                (Datum::Nad83, true) => vec![],
            },
            Crs::LambertConic2sp { .. } => vec![2991, 2992],
            Crs::Geographic => vec![4326],
            Crs::Ecef => vec![4978],
        };
        candidates
            .into_iter()
            .find(|c| Crs::from_epsg(*c).is_some_and(|k| k.approx_eq(self)))
    }

    fn approx_eq(&self, other: &Crs) -> bool {
        match (self, other) {
            (
                Crs::LambertConic2sp {
                    lat_0_deg: a0,
                    lon_0_deg: b0,
                    lat_1_deg: c0,
                    lat_2_deg: d0,
                    false_easting: e0,
                    false_northing: f0,
                    datum: g0,
                    unit: h0,
                },
                Crs::LambertConic2sp {
                    lat_0_deg: a1,
                    lon_0_deg: b1,
                    lat_1_deg: c1,
                    lat_2_deg: d1,
                    false_easting: e1,
                    false_northing: f1,
                    datum: g1,
                    unit: h1,
                },
            ) => {
                let close = |x: f64, y: f64, tol: f64| (x - y).abs() <= tol;
                close(*a0, *a1, 1e-9)
                    && close(*b0, *b1, 1e-9)
                    && close(*c0, *c1, 1e-9)
                    && close(*d0, *d1, 1e-9)
                    && close(*e0, *e1, 1e-3)
                    && close(*f0, *f1, 1e-3)
                    && g0 == g1
                    && h0 == h1
            }
            _ => self == other,
        }
    }

    /// A name for people: "WGS84 / UTM zone 33N", "NAD83 / Lambert conformal conic …".
    pub fn label(&self) -> String {
        let code = self
            .epsg()
            .map(|c| format!(" (EPSG:{c})"))
            .unwrap_or_default();
        match self {
            Crs::Utm { zone, south, datum } => format!(
                "{} / UTM zone {zone}{}{code}",
                datum.label(),
                if *south { "S" } else { "N" }
            ),
            Crs::LambertConic2sp {
                lat_0_deg,
                lon_0_deg,
                lat_1_deg,
                lat_2_deg,
                datum,
                unit,
                ..
            } => format!(
                "{} / Lambert conformal conic 2SP (lat_0 {lat_0_deg}°, lon_0 {lon_0_deg}°, parallels {lat_1_deg}° and {lat_2_deg}°), {}{code}",
                datum.label(),
                unit.label()
            ),
            Crs::Geographic => format!("WGS84 geographic, longitude/latitude in degrees{code}"),
            Crs::Ecef => format!("WGS84 Earth-centred Earth-fixed, metres{code}"),
        }
    }

    pub fn datum(&self) -> Datum {
        match self {
            Crs::Utm { datum, .. } | Crs::LambertConic2sp { datum, .. } => *datum,
            Crs::Geographic | Crs::Ecef => Datum::Wgs84,
        }
    }

    /// The unit of x, y and z (projected CRSs) or of z (geographic); metres for ECEF.
    pub fn linear_unit(&self) -> LinearUnit {
        match self {
            Crs::LambertConic2sp { unit, .. } => *unit,
            _ => LinearUnit::Metre,
        }
    }

    /// What the user must be told about using this CRS as WGS84.
    pub fn datum_warning(&self) -> Option<String> {
        (self.datum() == Datum::Nad83).then(|| {
            "coordinates are NAD83 and are used as WGS84 without a datum shift: positions may be off by about 1–2 m horizontally".to_string()
        })
    }

    pub fn validate(&self) -> Result<(), String> {
        match self {
            Crs::Utm { zone, .. } if !(1..=60).contains(zone) => {
                Err(format!("UTM zone {zone} is outside 1..60"))
            }
            Crs::LambertConic2sp {
                lat_0_deg,
                lon_0_deg,
                lat_1_deg,
                lat_2_deg,
                false_easting,
                false_northing,
                ..
            } => {
                let all = [
                    lat_0_deg,
                    lon_0_deg,
                    lat_1_deg,
                    lat_2_deg,
                    false_easting,
                    false_northing,
                ];
                if all.iter().any(|v| !v.is_finite()) {
                    return Err("Lambert conic has a non-finite parameter".into());
                }
                for (name, lat) in [
                    ("lat_0_deg", lat_0_deg),
                    ("lat_1_deg", lat_1_deg),
                    ("lat_2_deg", lat_2_deg),
                ] {
                    if lat.abs() >= 90.0 {
                        return Err(format!("Lambert conic {name} {lat} is not within -90..90"));
                    }
                }
                if lon_0_deg.abs() > 180.0 {
                    return Err(format!(
                        "Lambert conic lon_0_deg {lon_0_deg} is outside -180..180"
                    ));
                }
                if (lat_1_deg + lat_2_deg).abs() < 1e-9 {
                    return Err(
                        "Lambert conic standard parallels are symmetric about the equator: no cone"
                            .into(),
                    );
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A position in this CRS to a WGS84 geodetic position (NAD83 taken as WGS84, no shift).
    /// `z` is an ellipsoidal height in [`Crs::linear_unit`] (metres for geographic and ECEF).
    pub fn to_geodetic(&self, x: f64, y: f64, z: f64) -> Geodetic {
        match *self {
            Crs::Utm { zone, south, datum } => {
                let tm = utm(zone, south, datum.ellipsoid());
                let (lat, lon) = tm.inverse(x, y);
                Geodetic::new(lat, lon, z)
            }
            Crs::LambertConic2sp { unit, .. } => {
                let u = unit.to_metres();
                let (lat, lon) = self.lcc().inverse(x * u, y * u);
                Geodetic::new(lat, lon, z * u)
            }
            Crs::Geographic => Geodetic::new(y, x, z),
            Crs::Ecef => Ecef { x, y, z }.to_geodetic(),
        }
    }

    /// A WGS84 geodetic position to this CRS's coordinates (the inverse of [`Crs::to_geodetic`]).
    pub fn from_geodetic(&self, g: Geodetic) -> [f64; 3] {
        match *self {
            Crs::Utm { zone, south, datum } => {
                let tm = utm(zone, south, datum.ellipsoid());
                let (e, n) = tm.forward(g.lat_deg, g.lon_deg);
                [e, n, g.height_m]
            }
            Crs::LambertConic2sp { unit, .. } => {
                let u = unit.to_metres();
                let (e, n) = self.lcc().forward(g.lat_deg, g.lon_deg);
                [e / u, n / u, g.height_m / u]
            }
            Crs::Geographic => [g.lon_deg, g.lat_deg, g.height_m],
            Crs::Ecef => {
                let e = g.to_ecef();
                [e.x, e.y, e.z]
            }
        }
    }

    fn lcc(&self) -> LambertConic {
        match *self {
            Crs::LambertConic2sp {
                lat_0_deg,
                lon_0_deg,
                lat_1_deg,
                lat_2_deg,
                false_easting,
                false_northing,
                datum,
                unit,
            } => LambertConic::new(
                datum.ellipsoid(),
                lat_0_deg,
                lon_0_deg,
                lat_1_deg,
                lat_2_deg,
                false_easting * unit.to_metres(),
                false_northing * unit.to_metres(),
            ),
            _ => unreachable!("lcc() of a non-Lambert CRS"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tm::wrap_deg;
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    fn dms(d: f64, m: f64, s: f64) -> f64 {
        d.signum() * (d.abs() + m / 60.0 + s / 3600.0)
    }

    #[test]
    fn epsg_guidance_note_7_2_lambert_conic_2sp_texas() {
        // IOGP Guidance Note 7-2, EPSG method 9802 worked example: NAD27 / Texas South
        // Central, Clarke 1866, US survey feet. lat 28°30'N, lon 96°W → E 2 963 503.91 ftUS,
        // N 254 759.80 ftUS.
        let ft = LinearUnit::UsSurveyFoot.to_metres();
        let lcc = LambertConic::new(
            Ellipsoid::CLARKE_1866,
            dms(27.0, 50.0, 0.0),
            -99.0,
            dms(28.0, 23.0, 0.0),
            dms(30.0, 17.0, 0.0),
            2_000_000.0 * ft,
            0.0,
        );
        let (e, n) = lcc.forward(28.5, -96.0);
        assert_abs_diff_eq!(e / ft, 2_963_503.91, epsilon = 0.005);
        assert_abs_diff_eq!(n / ft, 254_759.80, epsilon = 0.005);
        let (lat, lon) = lcc.inverse(e, n);
        assert_abs_diff_eq!(lat, 28.5, epsilon = 1e-11);
        assert_abs_diff_eq!(lon, -96.0, epsilon = 1e-11);
        // And the published easting/northing back to the published lat/lon (1 mm ≈ 1e-8°).
        let (lat, lon) = lcc.inverse(2_963_503.91 * ft, 254_759.80 * ft);
        assert_abs_diff_eq!(lat, 28.5, epsilon = 2e-8);
        assert_abs_diff_eq!(lon, -96.0, epsilon = 2e-8);
    }

    #[test]
    fn epsg_guidance_note_7_2_transverse_mercator_british_national_grid() {
        // IOGP Guidance Note 7-2, EPSG method 9807 worked example: OSGB 1936 / British
        // National Grid, Airy 1830. lat 50°30'N, lon 0°30'E → E 577 274.99 m, N 69 740.50 m.
        let tm = TransverseMercator::new(
            Ellipsoid::AIRY_1830,
            49.0,
            -2.0,
            0.999_601_271_7,
            400_000.0,
            -100_000.0,
        );
        let (e, n) = tm.forward(50.5, 0.5);
        // The published figures come from the older (USGS/Snyder) series, good to about a
        // centimetre this far (2.5°) from the central meridian; Krüger's series gives 6 mm
        // less in easting, exactly as proj4rs's etmerc does: 577 274.9838, 69 740.4923.
        assert_abs_diff_eq!(e, 577_274.99, epsilon = 0.01);
        assert_abs_diff_eq!(n, 69_740.50, epsilon = 0.01);
        assert_abs_diff_eq!(e, 577_274.983_8, epsilon = 1e-4);
        assert_abs_diff_eq!(n, 69_740.492_3, epsilon = 1e-4);
        let (lat, lon) = tm.inverse(577_274.99, 69_740.50);
        assert_abs_diff_eq!(lat, 50.5, epsilon = 1e-7);
        assert_abs_diff_eq!(lon, 0.5, epsilon = 1e-7);
    }

    #[test]
    fn utm_published_geographiclib_example() {
        // GeographicLib GeoConvert documentation: "33.3 44.4" → "38n 444140.54 3684706.36".
        let crs = Crs::from_epsg(32638).unwrap();
        let [e, n, _] = crs.from_geodetic(Geodetic::new(33.3, 44.4, 0.0));
        assert_abs_diff_eq!(e, 444_140.54, epsilon = 0.006);
        assert_abs_diff_eq!(n, 3_684_706.36, epsilon = 0.006);
        let g = crs.to_geodetic(444_140.54, 3_684_706.36, 12.0);
        assert_abs_diff_eq!(g.lat_deg, 33.3, epsilon = 1e-7);
        assert_abs_diff_eq!(g.lon_deg, 44.4, epsilon = 1e-7);
        assert_eq!(g.height_m, 12.0);
        // The southern hemisphere's false northing: the equator is at 10 000 000 m.
        let s = Crs::from_epsg(32733).unwrap();
        let [e, n, _] = s.from_geodetic(Geodetic::new(0.0, 15.0, 0.0));
        assert_abs_diff_eq!(e, 500_000.0, epsilon = 1e-6);
        assert_abs_diff_eq!(n, 10_000_000.0, epsilon = 1e-6);
    }

    #[test]
    fn utm_scale_and_geometry_checks() {
        // On the central meridian the scale is k0: 1° of latitude near 45°N is 111 131.7 m of
        // meridian arc (WGS84), times 0.9996.
        let tm = utm(31, false, Ellipsoid::WGS84);
        let (_, n0) = tm.forward(44.5, 3.0);
        let (_, n1) = tm.forward(45.5, 3.0);
        assert_abs_diff_eq!((n1 - n0) / 0.9996, 111_131.7, epsilon = 1.0);
        // Symmetric about the central meridian.
        let (e1, n1) = tm.forward(45.0, 5.0);
        let (e2, n2) = tm.forward(45.0, 1.0);
        assert_abs_diff_eq!(e1 - 500_000.0, 500_000.0 - e2, epsilon = 1e-6);
        assert_abs_diff_eq!(n1, n2, epsilon = 1e-6);
    }

    #[test]
    fn oregon_lambert_feet_matches_proj4rs() {
        // EPSG:2994 = +proj=lcc +lat_0=41.75 +lon_0=-120.5 +lat_1=43 +lat_2=45.5
        // +x_0=399999.9999984 +y_0=0 +ellps=GRS80 +units=ft.
        let crs = Crs::from_epsg(2994).unwrap();
        let src = proj4rs::Proj::from_proj_string(
            "+proj=lcc +lat_0=41.75 +lon_0=-120.5 +lat_1=43 +lat_2=45.5 +x_0=399999.9999984 +y_0=0 +ellps=GRS80 +units=ft +no_defs",
        )
        .unwrap();
        let dst = proj4rs::Proj::from_proj_string("+proj=longlat +ellps=GRS80 +no_defs").unwrap();
        for (x, y) in [
            (636_001.76, 848_935.2),
            (637_179.22, 849_497.9),
            (1_312_335.958, 0.0),
            (2_000_000.0, 1_500_000.0),
        ] {
            let mut p = (x, y, 0.0);
            proj4rs::transform::transform(&src, &dst, &mut p).unwrap();
            let g = crs.to_geodetic(x, y, 0.0);
            assert_abs_diff_eq!(g.lat_deg, p.1.to_degrees(), epsilon = 1e-10);
            assert_abs_diff_eq!(g.lon_deg, p.0.to_degrees(), epsilon = 1e-10);
        }
    }

    #[test]
    fn epsg_codes() {
        assert_eq!(
            Crs::from_epsg(32633),
            Some(Crs::Utm {
                zone: 33,
                south: false,
                datum: Datum::Wgs84
            })
        );
        assert_eq!(Crs::from_epsg(32733).unwrap().epsg(), Some(32733));
        assert_eq!(Crs::from_epsg(26910).unwrap().epsg(), Some(26910));
        assert_eq!(Crs::from_epsg(2994).unwrap().epsg(), Some(2992));
        assert_eq!(Crs::from_epsg(4326), Some(Crs::Geographic));
        assert_eq!(Crs::from_epsg(4978), Some(Crs::Ecef));
        assert_eq!(Crs::from_epsg(32661), None);
        assert_eq!(Crs::from_epsg(3857), None);
        assert!(Crs::from_epsg(26910).unwrap().datum_warning().is_some());
        assert!(Crs::from_epsg(32610).unwrap().datum_warning().is_none());
        assert_eq!(
            Crs::from_epsg(32633).unwrap().label(),
            "WGS84 / UTM zone 33N (EPSG:32633)"
        );
    }

    #[test]
    fn json_form() {
        let crs = Crs::from_epsg(32733).unwrap();
        let json = serde_json::to_string(&crs).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"utm","zone":33,"south":true,"datum":"wgs84"}"#
        );
        let back: Crs = serde_json::from_str(r#"{"kind":"utm","zone":33,"south":true}"#).unwrap();
        assert_eq!(back, crs);
        assert!(serde_json::from_str::<Crs>(r#"{"kind":"utm","zone":33,"hemi":"s"}"#).is_err());
        let lcc = Crs::from_epsg(2994).unwrap();
        let back: Crs = serde_json::from_str(&serde_json::to_string(&lcc).unwrap()).unwrap();
        assert_eq!(back, lcc);
    }

    #[test]
    fn wkt_with_and_without_authority() {
        let autzen = r#"PROJCS["NAD_1983_HARN_Lambert_Conformal_Conic",GEOGCS["GCS_North_American_1983_HARN",DATUM["NAD83_High_Accuracy_Regional_Network",SPHEROID["GRS_1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6152"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_2SP"],PARAMETER["standard_parallel_1",43],PARAMETER["standard_parallel_2",45.5],PARAMETER["latitude_of_origin",41.75],PARAMETER["central_meridian",-120.5],PARAMETER["false_easting",1312335.958005249],PARAMETER["false_northing",0],UNIT["foot",0.3048,AUTHORITY["EPSG","9002"]]]"#;
        let crs = crs_from_wkt(autzen).unwrap().unwrap();
        assert_eq!(crs.epsg(), Some(2992));
        let utm = r#"PROJCS["WGS 84 / UTM zone 33N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",15],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32633"]]"#;
        assert_eq!(crs_from_wkt(utm).unwrap(), Crs::from_epsg(32633));
        // Same without the authority: recognised from its parameters.
        let bare = utm.replace(r#",AUTHORITY["EPSG","32633"]]"#, "]");
        assert_eq!(crs_from_wkt(&bare).unwrap(), Crs::from_epsg(32633));
        let merc = utm
            .replace("Transverse_Mercator", "Mercator_1SP")
            .replace(r#",AUTHORITY["EPSG","32633"]]"#, "]");
        assert!(crs_from_wkt(&merc).unwrap_err().contains("mercator_1sp"));
        assert!(crs_from_wkt("PROJCS[\"x\"").is_err());
        assert_eq!(crs_from_wkt("\0\0").unwrap(), None);
    }

    proptest! {
        #[test]
        fn utm_round_trip_within_zone(zone in 1u8..=60, south: bool, lat in 0.0f64..84.0, dlon in -3.5f64..3.5, nad83: bool) {
            let crs = Crs::Utm { zone, south, datum: if nad83 { Datum::Nad83 } else { Datum::Wgs84 } };
            let lat = if south { -lat * 0.95 } else { lat };
            let lon = wrap_deg(zone as f64 * 6.0 - 183.0 + dlon);
            let g = Geodetic::new(lat, lon, 100.0);
            let [x, y, z] = crs.from_geodetic(g);
            let back = crs.to_geodetic(x, y, z);
            // 1e-10° is about 11 µm.
            prop_assert!((back.lat_deg - lat).abs() < 1e-10, "{back:?}");
            prop_assert!(wrap_deg(back.lon_deg - lon).abs() < 1e-10, "{back:?}");
        }

        #[test]
        fn utm_agrees_with_proj4rs(zone in 1u8..=60, lat in -80.0f64..84.0, dlon in -3.0f64..3.0) {
            let lon = wrap_deg(zone as f64 * 6.0 - 183.0 + dlon);
            let south = lat < 0.0;
            let crs = Crs::Utm { zone, south, datum: Datum::Wgs84 };
            let [e, n, _] = crs.from_geodetic(Geodetic::new(lat, lon, 0.0));
            let src = proj4rs::Proj::from_proj_string("+proj=longlat +ellps=WGS84 +no_defs").unwrap();
            let dst = proj4rs::Proj::from_proj_string(&format!(
                "+proj=utm +zone={zone}{} +ellps=WGS84 +units=m +no_defs",
                if south { " +south" } else { "" }
            )).unwrap();
            let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
            proj4rs::transform::transform(&src, &dst, &mut p).unwrap();
            prop_assert!((p.0 - e).abs() < 1e-4 && (p.1 - n).abs() < 1e-4, "ours {e} {n}, proj4rs {} {}", p.0, p.1);
        }

        #[test]
        fn lambert_round_trip(lat_0 in 20.0f64..60.0, lat_1 in 20.0f64..60.0, dlat2 in 0.5f64..10.0,
                              lat in 15.0f64..70.0, dlon in -8.0f64..8.0, south: bool, feet: bool) {
            let sgn = if south { -1.0 } else { 1.0 };
            let crs = Crs::LambertConic2sp {
                lat_0_deg: sgn * lat_0, lon_0_deg: 10.0, lat_1_deg: sgn * lat_1, lat_2_deg: sgn * (lat_1 + dlat2),
                false_easting: 400_000.0, false_northing: 100_000.0, datum: Datum::Nad83,
                unit: if feet { LinearUnit::Foot } else { LinearUnit::Metre },
            };
            let g = Geodetic::new(sgn * lat, 10.0 + dlon, 50.0);
            let [x, y, z] = crs.from_geodetic(g);
            let back = crs.to_geodetic(x, y, z);
            prop_assert!((back.lat_deg - g.lat_deg).abs() < 1e-10, "{back:?} {g:?}");
            prop_assert!((back.lon_deg - g.lon_deg).abs() < 1e-10, "{back:?} {g:?}");
            prop_assert!((back.height_m - 50.0).abs() < 1e-9);
        }
    }
}
